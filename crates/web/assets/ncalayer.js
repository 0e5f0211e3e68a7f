// Signing with NCALayer, the signing application of Kazakhstan's PKI, when
// it runs on the citizen's machine (wss://127.0.0.1:13579). Progressive
// enhancement: without it (or without JavaScript) the page's upload of a
// .p7s made by any tool works the same.
(function () {
  "use strict";
  var button = document.getElementById("ncalayer");
  var form = document.getElementById("sign-form");
  var field = document.getElementById("cms");
  var status = document.getElementById("ncalayer-status");
  if (!button || !form || !field || typeof WebSocket === "undefined") return;
  var socket;
  try {
    socket = new WebSocket("wss://127.0.0.1:13579/");
  } catch (e) {
    return;
  }
  socket.onopen = function () { button.hidden = false; };
  socket.onerror = function () { button.hidden = true; };
  function base64(buffer) {
    var bytes = new Uint8Array(buffer), s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
  button.addEventListener("click", function () {
    status.textContent = "…";
    fetch(button.getAttribute("data-to-sign"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.arrayBuffer(); })
      .then(function (buf) {
        socket.onmessage = function (msg) {
          var answer = JSON.parse(msg.data);
          if (answer.code === "200" && answer.responseObject) {
            field.value = answer.responseObject;
            form.submit();
          } else if (answer.code) {
            status.textContent = answer.message || String(answer.code);
          }
        };
        socket.send(JSON.stringify({
          module: "kz.gov.pki.knca.commonUtils",
          method: "createCAdESFromBase64",
          args: ["PKCS12", "SIGNATURE", base64(buf), true]
        }));
      })
      .catch(function (e) { status.textContent = String(e.message || e); });
  });
})();
