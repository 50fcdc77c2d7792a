//! [`KafkaProperties`]: librdkafka configuration keys and values, as Flink's
//! `properties.*` options pass them through.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::ClientConfig;

/// How long a metadata or offset request may take before it fails the job.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Client configuration: `bootstrap.servers`, `group.id` and any other librdkafka key.
///
/// ```
/// use weir_connectors::kafka::KafkaProperties;
/// let p = KafkaProperties::new("127.0.0.1:9092").with("group.id", "g");
/// assert_eq!(p.get("group.id"), Some("g"));
/// assert_eq!(p.bootstrap_servers(), "127.0.0.1:9092");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KafkaProperties {
    values: BTreeMap<String, String>,
}

impl KafkaProperties {
    /// Properties talking to `bootstrap_servers` (`host:port[,host:port…]`).
    pub fn new(bootstrap_servers: &str) -> Self {
        KafkaProperties::default().with("bootstrap.servers", bootstrap_servers)
    }

    /// Sets `key` to `value`.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.set(key, value);
        self
    }

    /// Sets `key` to `value`.
    pub fn set(&mut self, key: &str, value: &str) {
        self.values.insert(key.to_string(), value.to_string());
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// `bootstrap.servers` (empty when unset).
    pub fn bootstrap_servers(&self) -> &str {
        self.get("bootstrap.servers").unwrap_or("")
    }

    /// `group.id`, if set.
    pub fn group_id(&self) -> Option<&str> {
        self.get("group.id")
    }

    /// A librdkafka configuration of these properties, then `overrides` (the connector's
    /// own settings win over the user's).
    pub(crate) fn client_config(&self, overrides: &[(&str, &str)]) -> ClientConfig {
        let mut config = ClientConfig::new();
        for (k, v) in &self.values {
            config.set(k, v);
        }
        for (k, v) in overrides {
            config.set(*k, *v);
        }
        config
    }
}
