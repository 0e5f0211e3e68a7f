// Signing with NCALayer, the signing application of Kazakhstan's PKI, when
// it runs on the citizen's machine (wss://127.0.0.1:13579). Progressive
// enhancement: without it (or without JavaScript) the page's upload of a
// .p7s made by any tool works the same.
//
// The current API is the module kz.gov.pki.knca.basics, method sign (named
// args; answer {status, body: {result: [cms]}} or {status: false, code,
// message}). An NCALayer too old to have it answers in the older shape
// ({code, message}); then the request is repeated with
// kz.gov.pki.knca.commonUtils createCAdESFromBase64 (answer {code: "200",
// responseObject: cms}). Either way the CMS carries the signed bytes and is
// posted by the page's own form, so the server verifies it as any upload.
// A button marked data-detached (the head sealing a result PDF) asks for a
// detached CMS: the signature alone, over the fetched bytes.
(function () {
  "use strict";
  var button = document.getElementById("ncalayer");
  var form = document.getElementById("sign-form");
  var field = document.getElementById("cms");
  var status = document.getElementById("ncalayer-status");
  if (!button || !form || !field || !status || typeof WebSocket === "undefined") return;
  var socket;
  try {
    socket = new WebSocket("wss://127.0.0.1:13579/");
  } catch (e) {
    return;
  }
  var pending = null;
  var attach = !button.hasAttribute("data-detached");
  socket.onopen = function () { button.hidden = false; };
  socket.onerror = function () { button.hidden = true; };
  socket.onclose = function () {
    button.hidden = true;
    if (pending) say("data-failed");
    pending = null;
  };
  socket.onmessage = function (msg) {
    // The greeting ({"result":{"version"}}) and heartbeats come unasked.
    if (!pending) return;
    var answer;
    try { answer = JSON.parse(msg.data); } catch (e) { return; }
    if (answer.result && answer.result.version && answer.status === undefined) return;
    var step = pending;
    if (answer.status === true && answer.body) {
      var r = answer.body.result;
      done(Array.isArray(r) ? r[0] : r);
    } else if (answer.status === false) {
      pending = null;
      say(/cancel/i.test(String(answer.code)) ? "data-cancelled" : "data-failed", answer.message);
    } else if (answer.code === "200" && answer.responseObject) {
      done(answer.responseObject);
    } else if (step.module === "basics") {
      // No basics module here: ask the way older NCALayers understand.
      send("commonUtils", step.data);
    } else {
      pending = null;
      say(/cancel/i.test(String(answer.message)) ? "data-cancelled" : "data-failed", answer.message);
    }
  };
  function say(attr, detail) {
    var text = status.getAttribute(attr) || "";
    status.textContent = detail && attr === "data-failed" ? text + " (" + detail + ")" : text;
  }
  function done(cms) {
    pending = null;
    if (!cms) { say("data-failed"); return; }
    field.value = cms;
    say("data-sending");
    form.submit();
  }
  function send(module, data) {
    pending = { module: module, data: data };
    var lang = document.documentElement.lang || "kk";
    var request = module === "basics" ? {
      module: "kz.gov.pki.knca.basics",
      method: "sign",
      args: {
        allowedStorages: null,
        format: "cms",
        data: data,
        signingParams: { decode: true, encapsulate: attach, digested: false, tsaProfile: null },
        signerParams: { extKeyUsageOids: [], chain: [] },
        locale: lang
      }
    } : {
      module: "kz.gov.pki.knca.commonUtils",
      method: "createCAdESFromBase64",
      args: ["PKCS12", "SIGNATURE", data, attach]
    };
    socket.send(JSON.stringify(request));
  }
  function base64(buffer) {
    var bytes = new Uint8Array(buffer), s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
  button.addEventListener("click", function () {
    if (pending) return;
    say("data-waiting");
    fetch(button.getAttribute("data-to-sign"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.arrayBuffer(); })
      .then(function (buf) { send("basics", base64(buf)); })
      .catch(function (e) { pending = null; say("data-failed", String(e.message || e)); });
  });
})();
