//! The SyncChannel `SendMessage` envelope (domain.md, "The gateway and the
//! registries"): building and reading requests, answers and faults, SOAP
//! 1.1, namespace [`TYPES_NS`].
//!
//! Every envelope is signed: the exact bytes of the SOAP body's content are
//! signed ([`crate::sign`]) and the signature rides in the header as
//! `<qs:Signature algorithm="…" keyId="…">BASE64</qs:Signature>` in
//! [`SIGNATURE_NS`] (our documented stand-in for WS-Security, which signs a
//! canonicalised body). Reading checks the signature before anything in the
//! body is believed, then every field.

use crate::sign::{SignatureError, Signer, Verifier};
use crate::xml::{self, escape, Element, XmlError};
use base64::Engine;
use chrono::{DateTime, FixedOffset, SecondsFormat};
use uuid::Uuid;

pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const TYPES_NS: &str = "http://bip.bee.kz/SyncChannel/v10/Types";
pub const SIGNATURE_NS: &str = "urn:qyzmet:gateway:signature:v1";

/// The largest `data` a message carries.
pub const MAX_DATA_BYTES: usize = 2 * 1024 * 1024;

/// A `SendMessage` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub message_id: Uuid,
    pub correlation_id: Option<Uuid>,
    pub service_id: String,
    pub message_date: DateTime<FixedOffset>,
    pub sender_id: String,
    pub password: String,
    /// The payload (ours is JSON, see `registry.rs`), carried as text.
    pub data: String,
    /// A detached CMS (base64) over `data`'s exact UTF-8 bytes by the
    /// person who answers for the package (the State Corporation operator),
    /// as `<requestData><signature>`; the node key's signature above it
    /// only says which installation sent the message.
    pub package_signature: Option<String>,
}

/// A `SendMessageResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub message_id: Uuid,
    /// The request's message id.
    pub correlation_id: Uuid,
    pub response_date: DateTime<FixedOffset>,
    pub status_code: String,
    pub status_message: String,
    pub data: String,
}

/// What a fault carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    pub error_code: String,
    pub error_message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Envelope {
    Request(Request),
    Response(Response),
    Fault(ErrorInfo),
}

/// A message read, with the key that signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub envelope: Envelope,
    pub key_id: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SoapError {
    #[error("XML refused: {0}")]
    Xml(#[from] XmlError),
    #[error("not a SOAP envelope: {0}")]
    NotSoap(&'static str),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("{0}")]
    Invalid(String),
}

impl SoapError {
    /// The `errorCode` a fault answers this with.
    pub fn code(&self) -> &'static str {
        match self {
            SoapError::Xml(XmlError::TooLarge) => "message-too-large",
            SoapError::Xml(_) => "xml-refused",
            SoapError::NotSoap(_) => "message-malformed",
            SoapError::Signature(_) => "signature-invalid",
            SoapError::Invalid(_) => "message-invalid",
        }
    }
}

fn date(d: &DateTime<FixedOffset>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Millis, false)
}

fn envelope(signer: &dyn Signer, body: &str) -> Vec<u8> {
    let sig = base64::engine::general_purpose::STANDARD.encode(signer.sign(body.as_bytes()));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<soap:Envelope xmlns:soap=\"{SOAP_NS}\" xmlns:typ=\"{TYPES_NS}\">\
<soap:Header><qs:Signature xmlns:qs=\"{SIGNATURE_NS}\" algorithm=\"{}\" keyId=\"{}\">{sig}</qs:Signature></soap:Header>\
<soap:Body>{body}</soap:Body></soap:Envelope>",
        signer.algorithm(),
        escape(signer.key_id()),
    )
    .into_bytes()
}

pub fn encode_request(r: &Request, signer: &dyn Signer) -> Vec<u8> {
    let correlation = r
        .correlation_id
        .map(|c| format!("<correlationId>{c}</correlationId>"))
        .unwrap_or_default();
    let body = format!(
        "<typ:SendMessage><request><requestInfo><messageId>{}</messageId>{correlation}\
<serviceId>{}</serviceId><messageDate>{}</messageDate><sender><senderId>{}</senderId>\
<password>{}</password></sender></requestInfo><requestData><data>{}</data>{}</requestData>\
</request></typ:SendMessage>",
        r.message_id,
        escape(&r.service_id),
        date(&r.message_date),
        escape(&r.sender_id),
        escape(&r.password),
        escape(&r.data),
        r.package_signature
            .as_deref()
            .map(|s| format!("<signature>{}</signature>", escape(s)))
            .unwrap_or_default(),
    );
    envelope(signer, &body)
}

pub fn encode_response(r: &Response, signer: &dyn Signer) -> Vec<u8> {
    let body = format!(
        "<typ:SendMessageResponse><response><responseInfo><messageId>{}</messageId>\
<correlationId>{}</correlationId><responseDate>{}</responseDate><status><code>{}</code>\
<message>{}</message></status></responseInfo><responseData><data>{}</data></responseData>\
</response></typ:SendMessageResponse>",
        r.message_id,
        r.correlation_id,
        date(&r.response_date),
        escape(&r.status_code),
        escape(&r.status_message),
        escape(&r.data),
    );
    envelope(signer, &body)
}

pub fn encode_fault(e: &ErrorInfo, signer: &dyn Signer) -> Vec<u8> {
    let body = format!(
        "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>{}</faultstring><detail>\
<typ:SendMessageFault><ErrorInfo><errorCode>{}</errorCode><errorMessage>{}</errorMessage>\
</ErrorInfo></typ:SendMessageFault></detail></soap:Fault>",
        escape(&e.error_message),
        escape(&e.error_code),
        escape(&e.error_message),
    );
    envelope(signer, &body)
}

fn required<'a>(el: &'a Element, name: &str, path: &str) -> Result<&'a Element, SoapError> {
    el.child(name)
        .ok_or_else(|| SoapError::Invalid(format!("{path}/{name} is missing")))
}

fn text<'a>(el: &'a Element, name: &str, path: &str) -> Result<&'a str, SoapError> {
    Ok(required(el, name, path)?.text.trim())
}

fn uuid(s: &str, what: &str) -> Result<Uuid, SoapError> {
    Uuid::parse_str(s).map_err(|_| SoapError::Invalid(format!("{what} is not a UUID")))
}

fn instant(s: &str, what: &str) -> Result<DateTime<FixedOffset>, SoapError> {
    DateTime::parse_from_rfc3339(s)
        .map_err(|_| SoapError::Invalid(format!("{what} is not a date-time with an offset")))
}

/// A service or sender id: 1 to 100 of `A-Z a-z 0-9 . _ -`.
pub fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn data(el: &Element, path: &str) -> Result<String, SoapError> {
    let d = text(el, "data", path)?;
    if d.len() > MAX_DATA_BYTES {
        return Err(SoapError::Invalid("data is too large".into()));
    }
    Ok(d.to_owned())
}

/// Reads an envelope: refuses hostile XML, checks the body's signature
/// with `verifier`, then reads and validates the request, answer or fault.
pub fn decode(bytes: &[u8], verifier: &dyn Verifier) -> Result<Signed, SoapError> {
    let root = xml::parse(bytes)?;
    if !root.is(SOAP_NS, "Envelope") {
        return Err(SoapError::NotSoap("the root is not soap:Envelope"));
    }
    let body = root
        .children
        .iter()
        .find(|c| c.is(SOAP_NS, "Body"))
        .ok_or(SoapError::NotSoap("no soap:Body"))?;
    let sig = root
        .children
        .iter()
        .find(|c| c.is(SOAP_NS, "Header"))
        .and_then(|h| h.children.iter().find(|c| c.is(SIGNATURE_NS, "Signature")))
        .ok_or(SignatureError::Unsigned)?;
    let key_id = sig.attr("keyId").ok_or(SignatureError::Unsigned)?;
    let algorithm = sig.attr("algorithm").ok_or(SignatureError::Unsigned)?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(sig.text.trim())
        .map_err(|_| SignatureError::Invalid)?;
    verifier.verify(key_id, algorithm, &bytes[body.inner.clone()], &signature)?;

    let [content] = body.children.as_slice() else {
        return Err(SoapError::NotSoap("soap:Body holds one element"));
    };
    let envelope = if content.is(TYPES_NS, "SendMessage") {
        Envelope::Request(read_request(content)?)
    } else if content.is(TYPES_NS, "SendMessageResponse") {
        Envelope::Response(read_response(content)?)
    } else if content.is(SOAP_NS, "Fault") {
        Envelope::Fault(read_fault(content)?)
    } else {
        return Err(SoapError::NotSoap("unknown body element"));
    };
    Ok(Signed {
        envelope,
        key_id: key_id.to_owned(),
    })
}

fn read_request(el: &Element) -> Result<Request, SoapError> {
    let request = required(el, "request", "SendMessage")?;
    let info = required(request, "requestInfo", "request")?;
    let sender = required(info, "sender", "requestInfo")?;
    let service_id = text(info, "serviceId", "requestInfo")?;
    if !valid_id(service_id) {
        return Err(SoapError::Invalid("serviceId is not a service id".into()));
    }
    let sender_id = text(sender, "senderId", "sender")?;
    if !valid_id(sender_id) {
        return Err(SoapError::Invalid("senderId is not a sender id".into()));
    }
    let correlation_id = match info.child_text("correlationId").map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(uuid(c, "correlationId")?),
    };
    let request_data = required(request, "requestData", "request")?;
    let package_signature = match request_data.child_text("signature").map(str::trim) {
        None | Some("") => None,
        Some(s) if s.len() > MAX_DATA_BYTES => {
            return Err(SoapError::Invalid("signature is too large".into()))
        }
        Some(s) => Some(s.to_owned()),
    };
    Ok(Request {
        message_id: uuid(text(info, "messageId", "requestInfo")?, "messageId")?,
        correlation_id,
        service_id: service_id.to_owned(),
        message_date: instant(text(info, "messageDate", "requestInfo")?, "messageDate")?,
        sender_id: sender_id.to_owned(),
        password: text(sender, "password", "sender")?.to_owned(),
        data: data(request_data, "requestData")?,
        package_signature,
    })
}

fn read_response(el: &Element) -> Result<Response, SoapError> {
    let response = required(el, "response", "SendMessageResponse")?;
    let info = required(response, "responseInfo", "response")?;
    let status = required(info, "status", "responseInfo")?;
    Ok(Response {
        message_id: uuid(text(info, "messageId", "responseInfo")?, "messageId")?,
        correlation_id: uuid(
            text(info, "correlationId", "responseInfo")?,
            "correlationId",
        )?,
        response_date: instant(text(info, "responseDate", "responseInfo")?, "responseDate")?,
        status_code: text(status, "code", "status")?.to_owned(),
        status_message: status.child_text("message").unwrap_or("").trim().to_owned(),
        data: data(
            required(response, "responseData", "response")?,
            "responseData",
        )?,
    })
}

fn read_fault(el: &Element) -> Result<ErrorInfo, SoapError> {
    let info = el
        .child("detail")
        .and_then(|d| d.children.first())
        .and_then(|f| f.child("ErrorInfo"))
        .ok_or_else(|| SoapError::Invalid("the fault has no ErrorInfo".into()))?;
    Ok(ErrorInfo {
        error_code: text(info, "errorCode", "ErrorInfo")?.to_owned(),
        error_message: info
            .child_text("errorMessage")
            .unwrap_or("")
            .trim()
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{NodeKey, TrustedKeys};

    fn request() -> Request {
        Request {
            message_id: Uuid::new_v4(),
            correlation_id: None,
            service_id: "individuals-db".into(),
            message_date: DateTime::parse_from_rfc3339("2026-11-23T19:20:00+05:00").unwrap(),
            sender_id: "qyzmet".into(),
            password: "p<&>".into(),
            data: r#"{"iin":"871008401427","note":"</data><x>"}"#.into(),
            package_signature: Some("AAEC".into()),
        }
    }

    #[test]
    fn a_request_goes_and_comes_back_whole() {
        let key = NodeKey::generate("qyzmet");
        let trusted = TrustedKeys::new();
        trusted.add("qyzmet", key.verifying_key());
        let r = request();
        let read = decode(&encode_request(&r, &key), &trusted).unwrap();
        assert_eq!(read.envelope, Envelope::Request(r));
        assert_eq!(read.key_id, key.key_id());
    }

    #[test]
    fn a_changed_byte_in_the_body_breaks_the_signature() {
        let key = NodeKey::generate("qyzmet");
        let trusted = TrustedKeys::new();
        trusted.add("qyzmet", key.verifying_key());
        let bytes = String::from_utf8(encode_request(&request(), &key)).unwrap();
        let forged = bytes.replace("871008401427", "760212350620");
        assert_eq!(
            decode(forged.as_bytes(), &trusted).unwrap_err(),
            SoapError::Signature(SignatureError::Invalid)
        );
    }

    #[test]
    fn answers_and_faults_round_trip() {
        let key = NodeKey::generate("gw");
        let trusted = TrustedKeys::new();
        trusted.add("gw", key.verifying_key());
        let resp = Response {
            message_id: Uuid::new_v4(),
            correlation_id: Uuid::new_v4(),
            response_date: DateTime::parse_from_rfc3339("2026-11-23T19:20:00+05:00").unwrap(),
            status_code: "OK".into(),
            status_message: "".into(),
            data: "{}".into(),
        };
        assert_eq!(
            decode(&encode_response(&resp, &key), &trusted)
                .unwrap()
                .envelope,
            Envelope::Response(resp)
        );
        let fault = ErrorInfo {
            error_code: "service-unknown".into(),
            error_message: "no such service".into(),
        };
        assert_eq!(
            decode(&encode_fault(&fault, &key), &trusted)
                .unwrap()
                .envelope,
            Envelope::Fault(fault)
        );
    }
}
