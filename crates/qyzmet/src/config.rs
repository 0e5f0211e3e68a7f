//! The server's configuration, in layers, each over the one before:
//!
//! 1. the defaults contract.md fixes (`127.0.0.1:8080`, `./data`, SQLite
//!    `qyzmet.db` in the data directory, text logs);
//! 2. a TOML file: `--config FILE`, else `QYZMET_CONFIG`, else
//!    `qyzmet.toml` in the working directory when there is one;
//! 3. `QYZMET_*` environment variables;
//! 4. the `serve` flags.
//!
//! Every value remembers where it came from, so a bad one is reported as
//! `QYZMET_ADDR: …`, `qyzmet.toml:3: …` or `--addr: …`. A secret (the
//! database URL, which may carry a password) may be read from a file named
//! by `database_url_file` / `QYZMET_DATABASE_URL_FILE`, and is only ever
//! shown through [`redact`].
//!
//! Nothing here reads the process environment: the caller passes it in.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

/// The name of the file read from the working directory.
pub const DEFAULT_FILE: &str = "qyzmet.toml";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File { path: String, line: usize },
    Env(&'static str),
    Flag(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File { path, line } => write!(f, "{path}:{line}"),
            Source::Env(name) | Source::Flag(name) => f.write_str(name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

fn sourced<T>(value: T, source: Source) -> Option<Sourced<T>> {
    Some(Sourced { value, source })
}

/// The database URL as given, or the file it is kept in.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    Url(String),
    File(PathBuf),
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbUrl::Url(u) => write!(f, "Url({:?})", redact(u)),
            DbUrl::File(p) => write!(f, "File({p:?})"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// One layer: whatever it sets. A higher layer's value replaces a lower's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    pub addr: Option<Sourced<String>>,
    pub database_url: Option<Sourced<DbUrl>>,
    pub data_dir: Option<Sourced<PathBuf>>,
    pub base_url: Option<Sourced<String>>,
    pub catalog: Option<Sourced<PathBuf>>,
    pub trust_anchors: Option<Sourced<Vec<PathBuf>>>,
    pub crl: Option<Sourced<Vec<PathBuf>>>,
    pub demo: Option<Sourced<bool>>,
    pub insecure_demo: Option<Sourced<bool>>,
    pub log_format: Option<Sourced<String>>,
    pub gateway_url: Option<Sourced<String>>,
    pub gateway_password: Option<Sourced<String>>,
    pub operator_p12: Option<Sourced<PathBuf>>,
    pub operator_password_file: Option<Sourced<PathBuf>>,
    pub operator_certificates: Option<Sourced<Vec<PathBuf>>>,
    pub trusted_proxies: Option<Sourced<Vec<String>>>,
}

impl Layer {
    /// `self` with `higher`'s values over it.
    pub fn under(self, higher: Layer) -> Layer {
        Layer {
            addr: higher.addr.or(self.addr),
            database_url: higher.database_url.or(self.database_url),
            data_dir: higher.data_dir.or(self.data_dir),
            base_url: higher.base_url.or(self.base_url),
            catalog: higher.catalog.or(self.catalog),
            trust_anchors: higher.trust_anchors.or(self.trust_anchors),
            crl: higher.crl.or(self.crl),
            demo: higher.demo.or(self.demo),
            insecure_demo: higher.insecure_demo.or(self.insecure_demo),
            log_format: higher.log_format.or(self.log_format),
            gateway_url: higher.gateway_url.or(self.gateway_url),
            gateway_password: higher.gateway_password.or(self.gateway_password),
            operator_p12: higher.operator_p12.or(self.operator_p12),
            operator_password_file: higher
                .operator_password_file
                .or(self.operator_password_file),
            operator_certificates: higher.operator_certificates.or(self.operator_certificates),
            trusted_proxies: higher.trusted_proxies.or(self.trusted_proxies),
        }
    }
}

/// The configuration `serve` runs with, checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub addr: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub base_url: Option<String>,
    pub catalog: Option<PathBuf>,
    pub trust_anchors: Vec<PathBuf>,
    pub crl: Vec<PathBuf>,
    pub demo: bool,
    pub insecure_demo: bool,
    pub log_format: LogFormat,
    /// The e-government gateway (`http://HOST:PORT`); `None` outside demo
    /// mode leaves State Corporation intake answering 503.
    pub gateway_url: Option<String>,
    /// The password this node sends as the gateway's `senderId` `qyzmet`.
    pub gateway_password: Option<String>,
    /// The State Corporation operator's key (PKCS#12) that signs packages
    /// to the provider, and the file holding its password (a secret).
    pub operator_p12: Option<PathBuf>,
    pub operator_password_file: Option<PathBuf>,
    /// More operators' certificates (PEM) whose packages the provider's
    /// endpoint accepts, besides the key above.
    pub operator_certificates: Vec<PathBuf>,
    /// The reverse proxies (addresses or networks) whose `X-Forwarded-For`
    /// names the client: for the rate limits by address.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("database_url", &redact(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("base_url", &self.base_url)
            .field("catalog", &self.catalog)
            .field("trust_anchors", &self.trust_anchors)
            .field("crl", &self.crl)
            .field("demo", &self.demo)
            .field("insecure_demo", &self.insecure_demo)
            .field("log_format", &self.log_format)
            .field("gateway_url", &self.gateway_url)
            .field(
                "gateway_password",
                &self.gateway_password.as_ref().map(|_| "***"),
            )
            .field("operator_p12", &self.operator_p12)
            .field("operator_password_file", &self.operator_password_file)
            .field("operator_certificates", &self.operator_certificates)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

/// A database URL fit for a log: the password (in the user part or a
/// `password=` parameter) replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_owned(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// The keys a configuration file may set.
pub const FILE_KEYS: &[&str] = &[
    "addr",
    "database_url",
    "database_url_file",
    "data_dir",
    "base_url",
    "catalog",
    "trust_anchors",
    "crl",
    "demo",
    "insecure_demo",
    "log_format",
    "gateway_url",
    "gateway_password",
    "operator_p12",
    "operator_password_file",
    "operator_certificates",
    "trusted_proxies",
];

/// Reads a configuration file's text (`path` is how to name it in messages).
pub fn from_file(path: &str, text: &str) -> Result<Layer, String> {
    let at = |offset: usize| Source::File {
        path: path.to_owned(),
        line: qyzmet_domain::diag::line_of(text, offset).max(1),
    };
    let root = DeTable::parse(text).map_err(|e| {
        format!(
            "{}: {}",
            at(e.span().unwrap_or(0..0).start),
            e.message().trim()
        )
    })?;
    let mut layer = Layer::default();
    let mut url_literal: Option<Source> = None;
    let mut url_file: Option<Source> = None;
    for (key, value) in root.get_ref().iter() {
        let name: &str = key.get_ref().as_ref();
        let src = at(key.span().start);
        let v = value.get_ref();
        let string = || -> Result<String, String> {
            match v {
                DeValue::String(s) => Ok(s.to_string()),
                other => Err(format!(
                    "{src}: {name} must be a string, not {}",
                    other.type_str()
                )),
            }
        };
        let boolean = || -> Result<bool, String> {
            v.as_bool()
                .ok_or_else(|| format!("{src}: {name} must be true or false, not {}", v.type_str()))
        };
        // A string or a list of strings, each one a `what` (in messages).
        let strings = |what: &str| -> Result<Vec<String>, String> {
            match v {
                DeValue::String(s) => Ok(vec![s.to_string()]),
                DeValue::Array(items) => items
                    .iter()
                    .map(|i| match i.get_ref() {
                        DeValue::String(s) => Ok(s.to_string()),
                        other => Err(format!(
                            "{}: {name} must list {what}, not {}",
                            at(i.span().start),
                            other.type_str()
                        )),
                    })
                    .collect(),
                other => Err(format!(
                    "{src}: {name} must be a list of {what}, not {}",
                    other.type_str()
                )),
            }
        };
        let paths = || -> Result<Vec<PathBuf>, String> {
            Ok(strings("file names")?
                .into_iter()
                .map(PathBuf::from)
                .collect())
        };
        match name {
            "addr" => layer.addr = sourced(string()?, src),
            "database_url" => {
                url_literal = Some(src.clone());
                layer.database_url = sourced(DbUrl::Url(string()?), src);
            }
            "database_url_file" => {
                url_file = Some(src.clone());
                layer.database_url = sourced(DbUrl::File(string()?.into()), src);
            }
            "data_dir" => layer.data_dir = sourced(string()?.into(), src),
            "base_url" => layer.base_url = sourced(string()?, src),
            "catalog" => layer.catalog = sourced(string()?.into(), src),
            "trust_anchors" => layer.trust_anchors = sourced(paths()?, src),
            "crl" => layer.crl = sourced(paths()?, src),
            "demo" => layer.demo = sourced(boolean()?, src),
            "insecure_demo" => layer.insecure_demo = sourced(boolean()?, src),
            "log_format" => layer.log_format = sourced(string()?, src),
            "gateway_url" => layer.gateway_url = sourced(string()?, src),
            "gateway_password" => layer.gateway_password = sourced(string()?, src),
            "operator_p12" => layer.operator_p12 = sourced(string()?.into(), src),
            "operator_password_file" => {
                layer.operator_password_file = sourced(string()?.into(), src)
            }
            "operator_certificates" => layer.operator_certificates = sourced(paths()?, src),
            "trusted_proxies" => {
                layer.trusted_proxies = sourced(strings("addresses or networks")?, src)
            }
            other => {
                return Err(format!(
                    "{src}: unknown key `{other}` (known: {})",
                    FILE_KEYS.join(", ")
                ))
            }
        }
    }
    if let (Some(_), Some(second)) = (url_literal, url_file) {
        return Err(format!(
            "{second}: set database_url or database_url_file, not both"
        ));
    }
    Ok(layer)
}

fn env_bool(name: &'static str, v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("{name}: expected true or false, got {v:?}")),
    }
}

fn env_paths(v: &str) -> Vec<PathBuf> {
    v.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// Reads the `QYZMET_*` variables from `env` (an empty value counts as
/// unset).
pub fn from_env(env: &BTreeMap<String, String>) -> Result<Layer, String> {
    let get = |name: &'static str| -> Option<(&'static str, String)> {
        env.get(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (name, v.clone()))
    };
    let src = Source::Env;
    let mut layer = Layer::default();
    if let Some((n, v)) = get("QYZMET_ADDR") {
        layer.addr = sourced(v, src(n));
    }
    match (get("QYZMET_DATABASE_URL"), get("QYZMET_DATABASE_URL_FILE")) {
        (Some(_), Some(_)) => {
            return Err(
                "QYZMET_DATABASE_URL_FILE: set QYZMET_DATABASE_URL or QYZMET_DATABASE_URL_FILE, not both"
                    .into(),
            )
        }
        (Some((n, v)), None) => layer.database_url = sourced(DbUrl::Url(v), src(n)),
        (None, Some((n, v))) => layer.database_url = sourced(DbUrl::File(v.into()), src(n)),
        (None, None) => {}
    }
    if let Some((n, v)) = get("QYZMET_DATA_DIR") {
        layer.data_dir = sourced(v.into(), src(n));
    }
    if let Some((n, v)) = get("QYZMET_GATEWAY_URL") {
        layer.gateway_url = sourced(v, src(n));
    }
    if let Some((n, v)) = get("QYZMET_GATEWAY_PASSWORD") {
        layer.gateway_password = sourced(v, src(n));
    }
    if let Some((n, v)) = get("QYZMET_OPERATOR_P12") {
        layer.operator_p12 = sourced(v.into(), src(n));
    }
    if let Some((n, v)) = get("QYZMET_OPERATOR_PASSWORD_FILE") {
        layer.operator_password_file = sourced(v.into(), src(n));
    }
    if let Some((n, v)) = get("QYZMET_OPERATOR_CERTIFICATES") {
        layer.operator_certificates = sourced(env_paths(&v), src(n));
    }
    if let Some((n, v)) = get("QYZMET_BASE_URL") {
        layer.base_url = sourced(v, src(n));
    }
    if let Some((n, v)) = get("QYZMET_CATALOG") {
        layer.catalog = sourced(v.into(), src(n));
    }
    if let Some((n, v)) = get("QYZMET_TRUST_ANCHORS") {
        layer.trust_anchors = sourced(env_paths(&v), src(n));
    }
    if let Some((n, v)) = get("QYZMET_CRL") {
        layer.crl = sourced(env_paths(&v), src(n));
    }
    if let Some((n, v)) = get("QYZMET_DEMO") {
        layer.demo = sourced(env_bool(n, &v)?, src(n));
    }
    if let Some((n, v)) = get("QYZMET_INSECURE_DEMO") {
        layer.insecure_demo = sourced(env_bool(n, &v)?, src(n));
    }
    if let Some((n, v)) = get("QYZMET_LOG_FORMAT") {
        layer.log_format = sourced(v, src(n));
    }
    if let Some((n, v)) = get("QYZMET_TRUSTED_PROXIES") {
        let list = v
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        layer.trusted_proxies = sourced(list, src(n));
    }
    Ok(layer)
}

/// The file to read: `--config`, else `QYZMET_CONFIG`, else `qyzmet.toml`
/// in `cwd` if it is there. A named file must exist.
pub fn file_to_read(
    flag: Option<&Path>,
    env: &BTreeMap<String, String>,
    cwd: &Path,
) -> Option<(PathBuf, bool)> {
    if let Some(f) = flag {
        return Some((f.to_owned(), true));
    }
    if let Some(f) = env.get("QYZMET_CONFIG").filter(|v| !v.trim().is_empty()) {
        return Some((PathBuf::from(f), true));
    }
    let local = cwd.join(DEFAULT_FILE);
    local
        .is_file()
        .then(|| (PathBuf::from(DEFAULT_FILE), false))
}

/// Reads and checks the layers: `file` (its name and text), `env`, and
/// `flags` over them all.
pub fn resolve(
    file: Option<(&str, &str)>,
    env: &BTreeMap<String, String>,
    flags: Layer,
) -> Result<Settings, String> {
    let file = match file {
        Some((path, text)) => from_file(path, text)?,
        None => Layer::default(),
    };
    let layer = file.under(from_env(env)?).under(flags);
    finish(layer)
}

fn finish(l: Layer) -> Result<Settings, String> {
    let addr = l.addr.unwrap_or(Sourced {
        value: DEFAULT_ADDR.into(),
        source: Source::Default,
    });
    let sock: SocketAddr = addr.value.trim().parse().map_err(|_| {
        format!(
            "{}: must be HOST:PORT with an IP address, got {:?}",
            addr.source, addr.value
        )
    })?;
    let data_dir = l
        .data_dir
        .map(|d| d.value)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let database_url = match l.database_url {
        None => format!("sqlite://{}", data_dir.join("qyzmet.db").display()),
        Some(Sourced { value, source }) => {
            let url = match value {
                DbUrl::Url(u) => u,
                DbUrl::File(path) => std::fs::read_to_string(&path)
                    .map_err(|e| format!("{source}: cannot read {}: {e}", path.display()))?
                    .trim()
                    .to_owned(),
            };
            if !(url.starts_with("sqlite://")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
            {
                return Err(format!(
                    "{source}: the database URL must start with sqlite:// or postgres://, got {:?}",
                    redact(&url)
                ));
            }
            url
        }
    };
    if let Some(g) = &l.gateway_url {
        if !g.value.starts_with("http://") {
            return Err(format!(
                "{}: the gateway is an http:// address (loopback), got {:?}",
                g.source, g.value
            ));
        }
    }
    if let Some(base) = &l.base_url {
        if !(base.value.starts_with("http://") || base.value.starts_with("https://")) {
            return Err(format!(
                "{}: must be an http:// or https:// address, got {:?}",
                base.source, base.value
            ));
        }
    }
    let files = |list: Option<Sourced<Vec<PathBuf>>>| -> Result<Vec<PathBuf>, String> {
        let Some(list) = list else {
            return Ok(Vec::new());
        };
        for f in &list.value {
            if !f.is_file() {
                return Err(format!("{}: {}: no such file", list.source, f.display()));
            }
        }
        Ok(list.value)
    };
    let trust_anchors = files(l.trust_anchors)?;
    let crl = files(l.crl)?;
    let operator_certificates = files(l.operator_certificates)?;
    let one_file = |f: Option<Sourced<PathBuf>>| -> Result<Option<PathBuf>, String> {
        match f {
            Some(f) if !f.value.is_file() => {
                Err(format!("{}: {}: no such file", f.source, f.value.display()))
            }
            f => Ok(f.map(|f| f.value)),
        }
    };
    let (operator_p12, operator_password_file) = match (l.operator_p12, l.operator_password_file) {
        (Some(p12), None) => {
            return Err(format!(
                "{}: operator_p12 needs operator_password_file (the key's password, in a file)",
                p12.source
            ))
        }
        (None, Some(pw)) => {
            return Err(format!(
                "{}: operator_password_file goes with operator_p12",
                pw.source
            ))
        }
        (p12, pw) => (one_file(p12)?, one_file(pw)?),
    };
    let demo = l.demo.as_ref().is_some_and(|d| d.value);
    let insecure_demo = l.insecure_demo.as_ref().is_some_and(|d| d.value);
    if let (Some(insecure), false) = (&l.insecure_demo, demo) {
        if insecure.value {
            return Err(format!(
                "{}: --insecure-demo only goes with --demo",
                insecure.source
            ));
        }
    }
    if demo && !sock.ip().is_loopback() && !insecure_demo {
        let source = l.demo.map(|d| d.source.to_string()).unwrap_or_default();
        return Err(format!(
            "{source}: --demo serves known passwords; bind a loopback address or add --insecure-demo (got {sock})"
        ));
    }
    let trusted_proxies = match &l.trusted_proxies {
        None => Vec::new(),
        Some(list) => list
            .value
            .iter()
            .map(|p| {
                qyzmet_web::client::parse_trusted(p)
                    .map_err(|e| format!("{}: trusted_proxies: {e}", list.source))
            })
            .collect::<Result<_, _>>()?,
    };
    let log_format = match &l.log_format {
        None => LogFormat::Text,
        Some(f) => match f.value.trim() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(format!(
                    "{}: log format must be text or json, got {other:?}",
                    f.source
                ))
            }
        },
    };
    Ok(Settings {
        addr: sock,
        database_url,
        data_dir,
        base_url: l.base_url.map(|b| b.value),
        catalog: l.catalog.map(|c| c.value),
        trust_anchors,
        crl,
        demo,
        insecure_demo,
        log_format,
        gateway_url: l
            .gateway_url
            .map(|g| g.value.trim_end_matches('/').to_owned()),
        gateway_password: l.gateway_password.map(|g| g.value),
        operator_p12,
        operator_password_file,
        operator_certificates,
        trusted_proxies,
    })
}

/// `qyzmet config example`: every key, commented, with its default.
pub const EXAMPLE: &str = r#"# qyzmet.toml: the configuration of `qyzmet serve`.
#
# Read from the working directory, or from the file named by --config FILE
# or QYZMET_CONFIG. Every key may also be set by an environment variable
# (QYZMET_ and the key in capitals, e.g. QYZMET_ADDR), and the flags of
# `qyzmet serve` win over both. Relative paths are relative to the working
# directory. Uncomment a line to change it; shown are the defaults.

# Address to listen on (HOST:PORT, an IP address).
addr = "127.0.0.1:8080"

# Where the embedded database and generated files live.
data_dir = "./data"

# sqlite://PATH or postgres://USER:PASSWORD@HOST/DB. Default: qyzmet.db in
# data_dir. Logs show it with the password as ***.
# database_url = "postgres://qyzmet:secret@db.internal/qyzmet"

# Or read the URL from a file (a container secret); not both.
# database_url_file = "/run/secrets/database_url"

# Public address used in links and QR codes. Default: http:// + the bound
# address.
# base_url = "https://qyzmet.example.kz"

# The e-government gateway the State Corporation's registry lookups and the
# packages to the provider go through (`qyzmet sandbox` runs one). Unset,
# State Corporation intake answers 503 registry-unavailable; `--demo`
# starts a sandbox in the process instead. The password is the one this
# node sends as sender `qyzmet` (QYZMET_GATEWAY_PASSWORD).
# gateway_url = "http://127.0.0.1:8081"
# gateway_password = "…"

# The State Corporation operator's key (PKCS#12, as the national CA issues
# it) that signs the packages sent to the provider, and the file holding
# its password (a container secret; the password itself is never set
# here). Unset outside demo mode, packages go unsigned (logged); `--demo`
# uses DATA/demo-pki/operator.p12.
# operator_p12 = "/etc/qyzmet/operator.p12"
# operator_password_file = "/run/secrets/operator_p12_password"

# More State Corporation operators' certificates (PEM) whose packages this
# provider's endpoint accepts; a package signed by any other certificate is
# refused, however it chains. The key above's certificate is always known.
# (QYZMET_OPERATOR_CERTIFICATES takes a comma-separated list.)
operator_certificates = []

# Read the regulations from this directory instead of the built-in copy.
# catalog = "/etc/qyzmet/catalog"

# Trust anchor certificates (PEM) and certificate revocation lists.
# (QYZMET_TRUST_ANCHORS and QYZMET_CRL take comma-separated lists.)
trust_anchors = []
crl = []

# Seed demo users, provider and applications (loopback addresses only,
# unless insecure_demo is also true).
demo = false
insecure_demo = false

# "text" for people, "json" for a log collector: one object a line.
log_format = "text"

# The reverse proxies or load balancers in front of the nodes (addresses or
# networks), and only those: whoever is in them may name any client. Each
# must append the client to X-Forwarded-For (or set it). Their header is
# believed about the client's address (the verify page's and the login's
# limits by address); anyone else's is ignored. Empty: every client is its
# connection's address. For example ["10.0.0.5", "10.0.0.6"].
# (QYZMET_TRUSTED_PROXIES takes a comma-separated list.)
trusted_proxies = []
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn flag_addr(a: &str) -> Layer {
        Layer {
            addr: sourced(a.into(), Source::Flag("--addr")),
            ..Layer::default()
        }
    }

    #[test]
    fn defaults_are_the_contracts() {
        let s = resolve(None, &env(&[]), Layer::default()).unwrap();
        assert_eq!(s.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(s.database_url, "sqlite://./data/qyzmet.db");
        assert_eq!(s.base_url, None);
        assert!(!s.demo);
        assert_eq!(s.log_format, LogFormat::Text);
    }

    #[test]
    fn file_then_env_then_flags() {
        let file = "addr = \"127.0.0.1:9000\"\ndata_dir = \"/srv/q\"\nlog_format = \"json\"\nbase_url = \"https://file\"\n";
        let s = resolve(Some(("q.toml", file)), &env(&[]), Layer::default()).unwrap();
        assert_eq!(s.addr.port(), 9000);
        assert_eq!(s.database_url, "sqlite:///srv/q/qyzmet.db");
        assert_eq!(s.log_format, LogFormat::Json);

        let e = env(&[
            ("QYZMET_ADDR", "127.0.0.1:9001"),
            ("QYZMET_BASE_URL", "https://env"),
            ("QYZMET_LOG_FORMAT", ""),
        ]);
        let s = resolve(Some(("q.toml", file)), &e, Layer::default()).unwrap();
        assert_eq!(s.addr.port(), 9001);
        assert_eq!(s.base_url.as_deref(), Some("https://env"));
        // Empty is unset: the file's value stands.
        assert_eq!(s.log_format, LogFormat::Json);

        let s = resolve(Some(("q.toml", file)), &e, flag_addr("127.0.0.1:9002")).unwrap();
        assert_eq!(s.addr.port(), 9002);
        assert_eq!(s.base_url.as_deref(), Some("https://env"));
    }

    #[test]
    fn lists_and_booleans_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.pem");
        let b = dir.path().join("b.pem");
        std::fs::write(&a, "x").unwrap();
        std::fs::write(&b, "x").unwrap();
        let e = env(&[
            (
                "QYZMET_TRUST_ANCHORS",
                &format!("{}, {}", a.display(), b.display()),
            ),
            ("QYZMET_DEMO", "true"),
        ]);
        let s = resolve(None, &e, Layer::default()).unwrap();
        assert_eq!(s.trust_anchors, vec![a.clone(), b]);
        assert!(s.demo);
        // A flag's list replaces the environment's.
        let flags = Layer {
            trust_anchors: sourced(vec![a.clone()], Source::Flag("--trust-anchors")),
            ..Layer::default()
        };
        assert_eq!(resolve(None, &e, flags).unwrap().trust_anchors, vec![a]);

        let err = resolve(None, &env(&[("QYZMET_DEMO", "maybe")]), Layer::default()).unwrap_err();
        assert_eq!(err, "QYZMET_DEMO: expected true or false, got \"maybe\"");
        let err = resolve(
            None,
            &env(&[("QYZMET_CRL", "/nonexistent.crl")]),
            Layer::default(),
        )
        .unwrap_err();
        assert_eq!(err, "QYZMET_CRL: /nonexistent.crl: no such file");
    }

    #[test]
    fn trusted_proxies_from_each_layer() {
        let s = resolve(None, &env(&[]), Layer::default()).unwrap();
        assert!(s.trusted_proxies.is_empty(), "none unless given");
        let file = "trusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\"]\n";
        let s = resolve(Some(("q.toml", file)), &env(&[]), Layer::default()).unwrap();
        let shown: Vec<String> = s.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(shown, ["10.0.0.0/8", "127.0.0.1/32"]);
        // The environment's comma-separated list replaces the file's.
        let e = env(&[("QYZMET_TRUSTED_PROXIES", "192.168.0.0/16, ::1")]);
        let s = resolve(Some(("q.toml", file)), &e, Layer::default()).unwrap();
        let shown: Vec<String> = s.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(shown, ["192.168.0.0/16", "::1/128"]);
        // What is not an address is named, with where it was set.
        let e = env(&[("QYZMET_TRUSTED_PROXIES", "10.0.0.1, proxy.internal")]);
        let err = resolve(None, &e, Layer::default()).unwrap_err();
        assert!(
            err.starts_with(
                "QYZMET_TRUSTED_PROXIES: trusted_proxies: \"proxy.internal\" is not an IP address"
            ),
            "{err}"
        );
        let err = resolve(
            Some(("q.toml", "trusted_proxies = [1]\n")),
            &env(&[]),
            Layer::default(),
        )
        .unwrap_err();
        assert!(
            err.starts_with("q.toml:1: trusted_proxies must list addresses or networks"),
            "{err}"
        );
    }

    #[test]
    fn the_operators_key_comes_with_its_password_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, "x").unwrap();
            p.display().to_string()
        };
        let (p12, pw, cert) = (file("op.p12"), file("op.pw"), file("op.pem"));
        let text = format!(
            "operator_p12 = {p12:?}\noperator_password_file = {pw:?}\noperator_certificates = [{cert:?}]\n"
        );
        let s = resolve(Some(("q.toml", &text)), &env(&[]), Layer::default()).unwrap();
        assert_eq!(s.operator_p12, Some(PathBuf::from(&p12)));
        assert_eq!(s.operator_password_file, Some(PathBuf::from(&pw)));
        assert_eq!(s.operator_certificates, vec![PathBuf::from(&cert)]);
        // The environment too, certificates as a comma-separated list.
        let s = resolve(
            None,
            &env(&[
                ("QYZMET_OPERATOR_P12", &p12),
                ("QYZMET_OPERATOR_PASSWORD_FILE", &pw),
                ("QYZMET_OPERATOR_CERTIFICATES", &format!("{cert},{p12}")),
            ]),
            Layer::default(),
        )
        .unwrap();
        assert_eq!(s.operator_certificates.len(), 2);
        // A key without its password, a password without a key, a file
        // that is not there: refused, naming where.
        let err = resolve(
            Some(("q.toml", &format!("operator_p12 = {p12:?}\n"))),
            &env(&[]),
            Layer::default(),
        )
        .unwrap_err();
        assert!(
            err.starts_with("q.toml:1: operator_p12 needs operator_password_file"),
            "{err}"
        );
        let err = resolve(
            None,
            &env(&[("QYZMET_OPERATOR_PASSWORD_FILE", &pw)]),
            Layer::default(),
        )
        .unwrap_err();
        assert!(err.starts_with("QYZMET_OPERATOR_PASSWORD_FILE: "), "{err}");
        let err = resolve(
            None,
            &env(&[
                ("QYZMET_OPERATOR_P12", "/nonexistent.p12"),
                ("QYZMET_OPERATOR_PASSWORD_FILE", &pw),
            ]),
            Layer::default(),
        )
        .unwrap_err();
        assert_eq!(err, "QYZMET_OPERATOR_P12: /nonexistent.p12: no such file");
    }

    #[test]
    fn bad_values_name_their_source() {
        let err = resolve(
            None,
            &env(&[("QYZMET_ADDR", "localhost-ish")]),
            Layer::default(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "QYZMET_ADDR: must be HOST:PORT with an IP address, got \"localhost-ish\""
        );
        let err = resolve(None, &env(&[]), flag_addr("nope")).unwrap_err();
        assert!(err.starts_with("--addr: "), "{err}");
        let err = resolve(
            Some(("qyzmet.toml", "# comment\n\naddr = \"x:y\"\n")),
            &env(&[]),
            Layer::default(),
        )
        .unwrap_err();
        assert!(err.starts_with("qyzmet.toml:3: "), "{err}");
        let err = resolve(
            None,
            &env(&[("QYZMET_LOG_FORMAT", "xml")]),
            Layer::default(),
        )
        .unwrap_err();
        assert!(err.starts_with("QYZMET_LOG_FORMAT: "), "{err}");
        let err = resolve(
            None,
            &env(&[("QYZMET_DATABASE_URL", "mysql://u:hunter2@h/db")]),
            Layer::default(),
        )
        .unwrap_err();
        assert!(err.starts_with("QYZMET_DATABASE_URL: "), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = resolve(
            None,
            &env(&[("QYZMET_DEMO", "1"), ("QYZMET_ADDR", "0.0.0.0:8080")]),
            Layer::default(),
        )
        .unwrap_err();
        assert!(err.starts_with("QYZMET_DEMO: "), "{err}");
        assert!(err.contains("--insecure-demo"), "{err}");
    }

    #[test]
    fn the_file_is_checked_key_by_key() {
        let err = from_file(
            "etc/q.toml",
            "addr = \"127.0.0.1:1\"\n\nfavourite_colour = \"blue\"\n",
        )
        .unwrap_err();
        assert!(
            err.starts_with("etc/q.toml:3: unknown key `favourite_colour`"),
            "{err}"
        );
        let err = from_file("q.toml", "[server]\naddr = \"x\"\n").unwrap_err();
        assert!(err.starts_with("q.toml:1: unknown key `server`"), "{err}");
        let err = from_file("q.toml", "demo = \"yes\"\n").unwrap_err();
        assert_eq!(err, "q.toml:1: demo must be true or false, not string");
        let err = from_file("q.toml", "\ncrl = [\"a\", 3]\n").unwrap_err();
        assert!(
            err.starts_with("q.toml:2: crl must list file names"),
            "{err}"
        );
        let err = from_file("q.toml", "addr = \n").unwrap_err();
        assert!(err.starts_with("q.toml:1: "), "{err}");
        let err = from_file(
            "q.toml",
            "database_url = \"sqlite://x\"\ndatabase_url_file = \"/f\"\n",
        )
        .unwrap_err();
        assert!(err.starts_with("q.toml:2: set database_url or"), "{err}");
    }

    #[test]
    fn secrets_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("db");
        std::fs::write(&secret, "postgres://app:s3cret@db/qyzmet\n").unwrap();
        let e = env(&[("QYZMET_DATABASE_URL_FILE", secret.to_str().unwrap())]);
        let s = resolve(None, &e, Layer::default()).unwrap();
        assert_eq!(s.database_url, "postgres://app:s3cret@db/qyzmet");
        assert!(!format!("{s:?}").contains("s3cret"));

        let file = format!("database_url_file = {:?}\n", secret.display().to_string());
        let s = resolve(Some(("q.toml", &file)), &env(&[]), Layer::default()).unwrap();
        assert_eq!(s.database_url, "postgres://app:s3cret@db/qyzmet");

        let err = resolve(
            None,
            &env(&[("QYZMET_DATABASE_URL_FILE", "/nonexistent/secret")]),
            Layer::default(),
        )
        .unwrap_err();
        assert!(
            err.starts_with("QYZMET_DATABASE_URL_FILE: cannot read /nonexistent/secret"),
            "{err}"
        );
        // The environment's URL replaces the file's secret.
        let e = env(&[("QYZMET_DATABASE_URL", "sqlite:///tmp/x.db")]);
        let s = resolve(Some(("q.toml", &file)), &e, Layer::default()).unwrap();
        assert_eq!(s.database_url, "sqlite:///tmp/x.db");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://user:pw@host/db"),
            "postgres://user:***@host/db"
        );
        assert_eq!(
            redact("postgres://user:p%40ss@host:5432/db?sslmode=require"),
            "postgres://user:***@host:5432/db?sslmode=require"
        );
        assert_eq!(
            redact("postgres://host/db?user=u&password=pw"),
            "postgres://host/db?user=u&password=***"
        );
        assert_eq!(redact("postgres://user@host/db"), "postgres://user@host/db");
        assert_eq!(
            redact("sqlite://./data/qyzmet.db"),
            "sqlite://./data/qyzmet.db"
        );
    }

    #[test]
    fn the_example_parses_back_to_the_defaults() {
        let layer = from_file("example.toml", EXAMPLE).unwrap();
        // Every key the file knows is mentioned in the example.
        for key in FILE_KEYS {
            assert!(EXAMPLE.contains(&format!("{key} = ")), "{key}");
        }
        let from_example = finish(layer).unwrap();
        let defaults = resolve(None, &env(&[]), Layer::default()).unwrap();
        assert_eq!(from_example, defaults);
        // And with every commented line uncommented, it still reads (but
        // both database_url keys are set: that is refused, by line).
        let all: String = EXAMPLE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let err = from_file("example.toml", &all).unwrap_err();
        assert!(err.contains("not both"), "{err}");
    }

    #[test]
    fn the_file_is_found() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(file_to_read(None, &env(&[]), dir.path()), None);
        std::fs::write(dir.path().join(DEFAULT_FILE), "").unwrap();
        assert_eq!(
            file_to_read(None, &env(&[]), dir.path()),
            Some((PathBuf::from(DEFAULT_FILE), false))
        );
        let e = env(&[("QYZMET_CONFIG", "/etc/q.toml")]);
        assert_eq!(
            file_to_read(None, &e, dir.path()),
            Some((PathBuf::from("/etc/q.toml"), true))
        );
        assert_eq!(
            file_to_read(Some(Path::new("x.toml")), &e, dir.path()),
            Some((PathBuf::from("x.toml"), true))
        );
    }
}
