//! Flink's `avro-confluent` format: a Kafka message is Confluent's wire format — the magic
//! byte 0, the writer schema's id in the schema registry (4 bytes, big-endian), then the
//! record in Avro's binary encoding. Writers register the table's derived schema under a
//! subject (`<topic>-value` / `<topic>-key` by default) and put the id it gets in front of
//! every record; readers fetch each id's schema once (`GET /schemas/ids/{id}`) and resolve it
//! against the table's columns as container files' schemas are.
//!
//! The registry is spoken to over plain HTTP/1.1 by a small client on `std::net` (one
//! request per connection; only at the first use of each schema id, so no pool is needed).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde_json::{json, Value};

use super::schema::{AvroType, Record};

/// Options of the `avro-confluent` format (Flink's names, `avro-confluent.` prefix). Its
/// `Debug` leaves the credentials out.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ConfluentOptions {
    /// `avro-confluent.url` (required): the registry's base URL(s), comma-separated.
    pub url: Option<String>,
    /// `avro-confluent.subject`: the subject writers register the schema under; the Kafka
    /// connector's default is `<topic>-value` / `<topic>-key`.
    pub subject: Option<String>,
    /// `avro-confluent.basic-auth.user-info` (`user:password`), sent as HTTP Basic.
    pub basic_user_info: Option<String>,
    /// `avro-confluent.bearer-auth.token`, sent as `Authorization: Bearer`.
    pub bearer_token: Option<String>,
}

impl std::fmt::Debug for ConfluentOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfluentOptions")
            .field("url", &self.url)
            .field("subject", &self.subject)
            .field("basic_user_info", &self.basic_user_info.as_ref().map(|_| "<hidden>"))
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// The keys of the `avro-confluent` format that Weir reads.
pub(crate) const CONFLUENT_KEYS: &[&str] = &[
    "avro-confluent.url",
    "avro-confluent.subject",
    "avro-confluent.basic-auth.credentials-source",
    "avro-confluent.basic-auth.user-info",
    "avro-confluent.bearer-auth.credentials-source",
    "avro-confluent.bearer-auth.token",
];

/// Flink's keys that Weir refuses, and why.
const UNSUPPORTED: &[(&str, &str)] = &[
    ("avro-confluent.ssl.", "Weir's registry client speaks plain HTTP only (no TLS)"),
    ("avro-confluent.properties", "Weir has no Confluent client to pass properties to"),
    ("avro-confluent.schema", "the schema is always derived from the table's columns"),
];

impl ConfluentOptions {
    /// Sets one `avro-confluent.*` key; an unknown key is an error naming the supported ones.
    pub(crate) fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        if let Some((_, why)) = UNSUPPORTED.iter().find(|(k, _)| key.starts_with(k)) {
            return Err(format!("Unsupported option '{key}' for format 'avro-confluent': {why}"));
        }
        match key {
            "avro-confluent.url" => {
                for url in value.split(',') {
                    Endpoint::parse(url.trim())?;
                }
                self.url = Some(value.to_string());
            }
            "avro-confluent.subject" => {
                if value.is_empty() {
                    return Err("Option 'avro-confluent.subject' must not be empty".into());
                }
                self.subject = Some(value.to_string())
            }
            "avro-confluent.basic-auth.credentials-source" if value.eq_ignore_ascii_case("USER_INFO") => {}
            "avro-confluent.bearer-auth.credentials-source" if value.eq_ignore_ascii_case("STATIC_TOKEN") => {}
            "avro-confluent.basic-auth.credentials-source" | "avro-confluent.bearer-auth.credentials-source" => {
                return Err(format!(
                    "Unsupported value '{value}' for option '{key}'; Weir supports {}",
                    if key.contains("basic") { "'USER_INFO'" } else { "'STATIC_TOKEN'" }
                ))
            }
            "avro-confluent.basic-auth.user-info" => self.basic_user_info = Some(value.to_string()),
            "avro-confluent.bearer-auth.token" => self.bearer_token = Some(value.to_string()),
            _ => {
                return Err(format!(
                    "Unsupported option '{key}' for format 'avro-confluent'; supported: {}",
                    CONFLUENT_KEYS.join(", ")
                ))
            }
        }
        Ok(())
    }

    /// The client of the configured registry (`avro-confluent.url` is required).
    pub(crate) fn registry(&self) -> Result<Registry, String> {
        let url = self.url.as_deref().ok_or("format 'avro-confluent' needs the option 'avro-confluent.url'")?;
        let endpoints = url.split(',').map(|u| Endpoint::parse(u.trim())).collect::<Result<Vec<_>, _>>()?;
        let authorization = match (&self.basic_user_info, &self.bearer_token) {
            (Some(_), Some(_)) => {
                return Err("format 'avro-confluent': set either basic or bearer authentication, not both".into())
            }
            (Some(info), None) => Some(format!("Basic {}", base64(info.as_bytes()))),
            (None, Some(token)) => Some(format!("Bearer {token}")),
            (None, None) => None,
        };
        Ok(Registry { endpoints, url: url.to_string(), authorization })
    }
}

/// Splits a message in Confluent's wire format into the schema id and the Avro body.
pub(crate) fn split(message: &[u8]) -> Result<(u32, &[u8]), String> {
    match message {
        [0, a, b, c, d, body @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), body)),
        [m, ..] if message.len() >= 5 => {
            Err(format!("not in Confluent's wire format: the first byte is {m}, not the magic byte 0"))
        }
        _ => Err(format!(
            "not in Confluent's wire format: {} bytes, fewer than the magic byte and the 4-byte schema id",
            message.len()
        )),
    }
}

/// Appends the wire format's header: the magic byte and `id`.
pub(crate) fn write_header(id: u32, out: &mut Vec<u8>) {
    out.push(0);
    out.extend_from_slice(&id.to_be_bytes());
}

/// Why a registry request did not give an answer.
#[derive(Debug)]
pub(crate) enum RegistryError {
    /// The registry does not know the schema id (HTTP 404): the record cannot be read.
    UnknownId(String),
    /// The registry could not be asked, or refused: the job cannot go on.
    Failed(String),
}

/// A Confluent-compatible schema registry (its `Debug` shows the URL only).
#[derive(Clone)]
pub(crate) struct Registry {
    endpoints: Vec<Endpoint>,
    /// As given, for messages.
    url: String,
    /// The `Authorization` header's value, if any.
    authorization: Option<String>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Registry({})", self.url)
    }
}

/// How long connecting to, and then waiting for, the registry may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const IO_TIMEOUT: Duration = Duration::from_secs(30);

impl Registry {
    /// The registry's URL, as configured.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The schema (Avro JSON) registered with `id`.
    pub(crate) fn schema_by_id(&self, id: u32) -> Result<String, RegistryError> {
        let (status, body) = self.request("GET", &format!("/schemas/ids/{id}"), None).map_err(RegistryError::Failed)?;
        match status {
            200 => {
                let v: Value = serde_json::from_str(&body).map_err(|e| {
                    RegistryError::Failed(format!(
                        "schema registry answered GET /schemas/ids/{id} with non-JSON ({e}): {body}"
                    ))
                })?;
                if let Some(t) = v.get("schemaType").and_then(Value::as_str) {
                    if t != "AVRO" {
                        return Err(RegistryError::UnknownId(format!("schema id {id} is a {t} schema, not Avro")));
                    }
                }
                v.get("schema").and_then(Value::as_str).map(str::to_string).ok_or_else(|| {
                    RegistryError::Failed(format!(
                        "schema registry's answer to GET /schemas/ids/{id} has no 'schema': {body}"
                    ))
                })
            }
            404 => Err(RegistryError::UnknownId(format!(
                "schema id {id} is not known to the schema registry at {} ({})",
                self.url,
                body.trim()
            ))),
            _ => Err(RegistryError::Failed(format!(
                "schema registry at {} answered GET /schemas/ids/{id} with HTTP {status}: {}",
                self.url,
                body.trim()
            ))),
        }
    }

    /// Registers `schema` (Avro JSON) under `subject` and returns its id (the existing id when
    /// the subject already has it).
    pub(crate) fn register(&self, subject: &str, schema: &str) -> Result<u32, String> {
        let path = format!("/subjects/{}/versions", percent_encode(subject));
        let body = json!({ "schema": schema }).to_string();
        let (status, answer) = self.request("POST", &path, Some(&body))?;
        let fail = || {
            format!(
                "cannot register the schema under subject '{subject}' at the schema registry {}: HTTP {status}: {}",
                self.url,
                answer.trim()
            )
        };
        if status != 200 {
            return Err(fail());
        }
        let v: Value = serde_json::from_str(&answer).map_err(|_| fail())?;
        v.get("id").and_then(Value::as_u64).and_then(|id| u32::try_from(id).ok()).ok_or_else(fail)
    }

    /// One request to the first endpoint that answers: the status and the body.
    fn request(&self, method: &str, path: &str, body: Option<&str>) -> Result<(u16, String), String> {
        let mut errors = Vec::new();
        for e in &self.endpoints {
            match e.request(method, path, body, self.authorization.as_deref()) {
                Ok(answer) => return Ok(answer),
                Err(err) => errors.push(format!("{}: {err}", e.display())),
            }
        }
        Err(format!("cannot reach the schema registry ({method} {path}): {}", errors.join("; ")))
    }
}

/// One registry URL: `http://host[:port][/prefix]`.
#[derive(Debug, Clone)]
struct Endpoint {
    host: String,
    port: u16,
    prefix: String,
}

impl Endpoint {
    fn parse(url: &str) -> Result<Endpoint, String> {
        let rest = match url.split_once("://") {
            Some(("http", rest)) => rest,
            Some(("https", _)) => {
                return Err(format!(
                    "schema registry URL '{url}': Weir's registry client speaks plain HTTP only (no TLS)"
                ))
            }
            _ => return Err(format!("schema registry URL '{url}' must start with http://")),
        };
        let (authority, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(format!(
                "schema registry URL '{url}': give credentials with 'avro-confluent.basic-auth.user-info'"
            ));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => {
                (h, p.parse::<u16>().map_err(|_| format!("schema registry URL '{url}': bad port '{p}'"))?)
            }
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("schema registry URL '{url}' has no host"));
        }
        Ok(Endpoint { host: host.to_string(), port, prefix: prefix.to_string() })
    }

    fn display(&self) -> String {
        format!("http://{}:{}{}", self.host, self.port, self.prefix)
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        authorization: Option<&str>,
    ) -> Result<(u16, String), String> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let addrs = (host, self.port).to_socket_addrs().map_err(|e| format!("cannot resolve {}: {e}", self.host))?;
        let mut last = format!("no address for {}", self.host);
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = format!("cannot connect to {a}: {e}"),
            }
        }
        let mut stream = stream.ok_or(last)?;
        stream
            .set_read_timeout(Some(IO_TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(IO_TIMEOUT)))
            .map_err(|e| e.to_string())?;
        let mut req = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}:{}\r\nAccept: application/vnd.schemaregistry.v1+json, \
             application/json\r\nConnection: close\r\nUser-Agent: weir\r\n",
            self.prefix, self.host, self.port
        );
        if let Some(a) = authorization {
            req.push_str(&format!("Authorization: {a}\r\n"));
        }
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(body.unwrap_or(""));
        stream.write_all(req.as_bytes()).map_err(|e| format!("sending the request: {e}"))?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).map_err(|e| format!("reading the answer: {e}"))?;
        parse_response(&answer)
    }
}

/// The status and body of an HTTP/1.1 response read to its end (`Connection: close`).
fn parse_response(answer: &[u8]) -> Result<(u16, String), String> {
    let head_end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("not an HTTP answer: {}", String::from_utf8_lossy(&answer[..answer.len().min(200)])))?;
    let head = String::from_utf8_lossy(&answer[..head_end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP status line: '{status_line}'"))?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            }
        }
    }
    let raw = &answer[head_end + 4..];
    let body = if chunked {
        let mut body = Vec::new();
        let mut rest = raw;
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n").ok_or("a truncated chunked answer")?;
            let size_text = String::from_utf8_lossy(&rest[..eol]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("a bad chunk size '{size_text}'"))?;
            rest = &rest[eol + 2..];
            if size == 0 {
                break;
            }
            if rest.len() < size {
                return Err("a truncated chunked answer".into());
            }
            body.extend_from_slice(&rest[..size]);
            rest = rest.get(size + 2..).unwrap_or_default();
        }
        body
    } else {
        match length {
            Some(n) if raw.len() >= n => raw[..n].to_vec(),
            Some(_) => return Err("a truncated answer".into()),
            None => raw.to_vec(),
        }
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// The path segment `s`, percent-encoded.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Standard base64 with padding (for HTTP Basic credentials).
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A reader's writer schemas, fetched once per id and resolved against the table's columns.
#[derive(Debug)]
pub(crate) struct WriterSchemas {
    registry: Registry,
    /// (id, the writer's record resolved to the columns); a few at most.
    known: Vec<(u32, Record)>,
}

impl WriterSchemas {
    pub(crate) fn new(registry: Registry) -> WriterSchemas {
        WriterSchemas { registry, known: Vec::new() }
    }

    /// The writer's record of schema `id`, its fields matched to the columns `names` of
    /// `schema`, fetched from the registry and resolved the first time.
    /// [`RegistryError::UnknownId`]: the registry does not know `id` (a bad record);
    /// [`RegistryError::Failed`]: the registry failed, or the schema does not fit the table.
    pub(crate) fn get(
        &mut self,
        id: u32,
        names: &[String],
        schema: &arrow::datatypes::SchemaRef,
    ) -> Result<&Record, RegistryError> {
        if let Some(i) = self.known.iter().position(|(k, _)| *k == id) {
            return Ok(&self.known[i].1);
        }
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let fields = schema.fields();
        let column = |i: usize| (fields[i].data_type(), fields[i].is_nullable());
        let text = self.registry.schema_by_id(id)?;
        let not_fit = |e: String| {
            RegistryError::Failed(format!(
                "the writer schema {id} of the schema registry at {} does not fit the table: {e}",
                self.registry.url()
            ))
        };
        let mut record = match AvroType::parse(&text).map_err(not_fit)? {
            AvroType::Record(r) => r,
            other => return Err(not_fit(format!("it is {other:?}, not a record"))),
        };
        record.resolve_fields(&names, column, "").map_err(not_fit)?;
        self.known.push((id, record));
        Ok(&self.known.last().expect("just pushed").1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_format_is_magic_byte_id_body() {
        let mut out = Vec::new();
        write_header(258, &mut out);
        out.extend_from_slice(b"xy");
        assert_eq!(out, [0, 0, 0, 1, 2, b'x', b'y']);
        assert_eq!(split(&out).unwrap(), (258, &b"xy"[..]));
        assert!(split(&[1, 0, 0, 0, 1]).unwrap_err().contains("magic byte"));
        assert!(split(&[0, 0, 1]).unwrap_err().contains("3 bytes"));
    }

    #[test]
    fn responses_urls_and_credentials_are_read() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{\"id\":1}";
        assert_eq!(parse_response(plain).unwrap(), (200, "{\"id\":1}".to_string()));
        let chunked =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), (404, "{\"a\":1}".to_string()));
        let e = Endpoint::parse("http://127.0.0.1:8081/sr/").unwrap();
        assert_eq!((e.host.as_str(), e.port, e.prefix.as_str()), ("127.0.0.1", 8081, "/sr"));
        assert_eq!(Endpoint::parse("http://registry").unwrap().port, 80);
        assert!(Endpoint::parse("https://r:8081").unwrap_err().contains("plain HTTP"));
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(percent_encode("my topic-value"), "my%20topic-value");
    }

    #[test]
    fn credentials_stay_out_of_debug_output() {
        let mut o = ConfluentOptions::default();
        o.set("avro-confluent.url", "http://r:8081").unwrap();
        o.set("avro-confluent.basic-auth.user-info", "me:hunter2").unwrap();
        let shown = format!("{o:?} {:?}", o.registry().unwrap());
        assert!(shown.contains("http://r:8081") && !shown.contains("hunter2"), "{shown}");
        o.set("avro-confluent.bearer-auth.token", "t0k3n").unwrap();
        assert!(o.registry().unwrap_err().contains("not both"));
        assert!(!format!("{o:?}").contains("t0k3n"));
    }
}
