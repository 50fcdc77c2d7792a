//! `'format' = 'avro-confluent'` on Kafka tables against a real broker (tansu) and a real
//! Confluent-compatible schema registry (crabka-schema-registry, its schemas in the broker's
//! `_schemas` topic), both on loopback: messages in Confluent's wire format (magic byte 0,
//! the schema id, the Avro record), the table's derived schema registered under
//! `<topic>-value` / `<topic>-key`, writer schemas fetched by id and resolved against the
//! table's columns, and unknown ids failing with topic, partition, offset and id.

use crate::sql_common;

use sql_common::kafka::{consume_raw, produce};
use sql_common::run;
use weir_connectors::kafka::KafkaProducerRecord;
use weir_testkit::kafka::KafkaBroker;
use weir_testkit::schema_registry::SchemaRegistry;

/// An avro-confluent Kafka table over `registry`, read from the earliest to the latest offset.
fn table(
    broker: &KafkaBroker,
    registry: &SchemaRegistry,
    name: &str,
    columns: &str,
    topic: &str,
    extra: &str,
) -> String {
    let extra = format!(", 'avro-confluent.url' = '{}'{extra}", registry.url());
    sql_common::kafka::kafka_table(broker, name, columns, topic, "avro-confluent", &extra)
}

/// The id the registry gives version `version` of `subject`.
fn registered_id(registry: &SchemaRegistry, subject: &str, version: u32) -> u32 {
    let (status, body) = registry.request("GET", &format!("/subjects/{subject}/versions/{version}"), None).unwrap();
    assert_eq!(status, 200, "{subject} v{version}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["id"].as_u64().unwrap() as u32
}

/// The schema id in front of a message in Confluent's wire format.
fn id_of(message: &[u8]) -> u32 {
    assert_eq!(message[0], 0, "magic byte");
    u32::from_be_bytes(message[1..5].try_into().unwrap())
}

#[test]
fn avro_confluent_keys_and_values_round_trip_through_kafka_and_the_registry() {
    let broker = KafkaBroker::start();
    let registry = SchemaRegistry::start(&broker, &[]);
    broker.create_topic("users", 2);
    let users = table(
        &broker,
        &registry,
        "users",
        "id BIGINT NOT NULL, name STRING, score DOUBLE",
        "users",
        ", 'key.format' = 'avro-confluent', 'key.avro-confluent.url' = '__URL__', 'key.fields' = 'id'",
    )
    .replace("__URL__", &registry.url());
    run(
        &format!(
            "{users} INSERT INTO users VALUES (1, 'ann', 1.5), (2, CAST(NULL AS STRING), 2.0), (3, 'cy', CAST(NULL AS DOUBLE));"
        ),
        1,
    )
    .unwrap();

    // The table's derived schemas are registered under <topic>-key and <topic>-value.
    let value_id = registered_id(&registry, "users-value", 1);
    let key_id = registered_id(&registry, "users-key", 1);
    let (_, schema) = registry.request("GET", &format!("/schemas/ids/{value_id}"), None).unwrap();
    assert!(schema.contains("org.apache.flink.avro.generated"), "{schema}");
    let raw = consume_raw(&broker, "users");
    assert_eq!(raw.len(), 3);
    for (key, value) in &raw {
        let (key, value) = (key.as_ref().unwrap(), value.as_ref().unwrap());
        assert_eq!(id_of(key), key_id);
        assert_eq!(id_of(value), value_id);
    }
    // id 1: key {id: 1} is long 1 (02); the value {id, name, score} is 02, branch 1 (02),
    // "ann" (06 'a' 'n' 'n'), branch 1 (02), 1.5 as a little-endian double.
    let mut one = vec![0x02, 0x02, 0x06, b'a', b'n', b'n', 0x02];
    one.extend_from_slice(&1.5f64.to_le_bytes());
    assert!(
        raw.iter().any(|(k, v)| k.as_ref().unwrap()[5..] == [0x02] && v.as_ref().unwrap()[5..] == one[..]),
        "{raw:?}"
    );

    let mut rows = run(&format!("{users} SELECT id, name, score FROM users;"), 2).unwrap();
    rows.sort();
    assert_eq!(rows, ["+I[1, ann, 1.5]", "+I[2, null, 2.0]", "+I[3, cy, null]"]);
}

#[test]
fn upsert_kafka_keys_and_values_in_avro_confluent_give_the_latest_row_per_key() {
    let broker = KafkaBroker::start();
    let registry = SchemaRegistry::start(&broker, &[]);
    broker.create_topic("totals", 1);
    // Flink's documented shape: each format with its own `key.` / `value.` options.
    let totals = format!(
        "CREATE TABLE totals (k STRING, n BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH (
           'connector' = 'upsert-kafka', 'topic' = 'totals', 'properties.bootstrap.servers' = '{}',
           'key.format' = 'avro-confluent', 'key.avro-confluent.url' = '{url}',
           'value.format' = 'avro-confluent', 'value.avro-confluent.url' = '{url}',
           'scan.bounded.mode' = 'latest-offset', 'properties.batch.num.messages' = '1');",
        broker.bootstrap_servers(),
        url = registry.url()
    );
    let sql = format!(
        "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '30');
         {totals}
         INSERT INTO totals SELECT CONCAT('k', CAST(id % 3 AS STRING)), COUNT(*) FROM gen GROUP BY id % 3;"
    );
    run(&sql, 1).unwrap();
    let (key_id, value_id) = (registered_id(&registry, "totals-key", 1), registered_id(&registry, "totals-value", 1));
    let raw = consume_raw(&broker, "totals");
    assert!(
        raw.iter().all(|(k, v)| id_of(k.as_ref().unwrap()) == key_id && id_of(v.as_ref().unwrap()) == value_id),
        "{raw:?}"
    );
    let mut latest = std::collections::BTreeMap::new();
    for r in run(&format!("{totals} SELECT k, n FROM totals;"), 1).unwrap() {
        let body = r[3..r.len() - 1].to_string();
        let key = body.split(", ").next().unwrap().to_string();
        match &r[..2] {
            "+I" | "+U" => latest.insert(key, body),
            _ => latest.remove(&key),
        };
    }
    let expected: Vec<String> = ["k0, 10", "k1, 10", "k2, 10"].map(String::from).to_vec();
    assert_eq!(latest.into_values().collect::<Vec<_>>(), expected);
}

#[test]
fn an_unknown_schema_id_names_topic_partition_offset_and_id() {
    let broker = KafkaBroker::start();
    let registry = SchemaRegistry::start(&broker, &[]);
    broker.create_topic("ghosts", 1);
    let known =
        registry.register("ghosts-value", r#"{"type":"record","name":"r","fields":[{"name":"v","type":"int"}]}"#);
    let unknown = known + 1000;
    let message = |id: u32, body: &[u8]| {
        let mut m = vec![0];
        m.extend_from_slice(&id.to_be_bytes());
        m.extend_from_slice(body);
        KafkaProducerRecord { value: Some(m), ..Default::default() }
    };
    // v = 1, then an id the registry never gave, then v = 3.
    produce(&broker, "ghosts", vec![message(known, &[0x02]), message(unknown, &[0x04]), message(known, &[0x06])]);
    let strict = table(&broker, &registry, "g", "v INT", "ghosts", "");
    let e = run(&format!("{strict} SELECT v FROM g;"), 1).unwrap_err().to_string();
    assert!(e.contains("table 'g', topic ghosts, partition 0, offset 1"), "{e}");
    assert!(
        e.contains(&format!("schema id {unknown} is not known to the schema registry at {}", registry.url())),
        "{e}"
    );
    let skip = table(&broker, &registry, "g", "v INT", "ghosts", ", 'scan.bad-records' = 'skip'");
    assert_eq!(run(&format!("{skip} SELECT v FROM g;"), 1).unwrap(), ["+I[1]", "+I[3]"]);
    // A message not in the wire format at all is a bad record too.
    broker.create_topic("plain", 1);
    produce(
        &broker,
        "plain",
        vec![
            message(known, &[0x02]),
            KafkaProducerRecord { value: Some(vec![7, 0, 0, 0, 1, 2]), ..Default::default() },
        ],
    );
    let e = run(&format!("{} SELECT v FROM p;", table(&broker, &registry, "p", "v INT", "plain", "")), 1)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("topic plain, partition 0, offset 1") && e.contains("the first byte is 7, not the magic byte 0"),
        "{e}"
    );
}

#[test]
fn evolved_writer_schemas_are_resolved_against_the_table() {
    let broker = KafkaBroker::start();
    let registry = SchemaRegistry::start(&broker, &[]);
    broker.create_topic("people", 1);
    // Version 1 of the table writes two rows; version 2 adds a nullable column (a field with
    // default null), which the registry accepts as a compatible evolution of the subject.
    let v1 = table(&broker, &registry, "people", "id BIGINT NOT NULL, name STRING", "people", "");
    let v2 = table(&broker, &registry, "people", "id BIGINT NOT NULL, name STRING, email STRING", "people", "");
    run(&format!("{v1} INSERT INTO people VALUES (1, 'ann'), (2, 'bo');"), 1).unwrap();
    run(&format!("{v2} INSERT INTO people VALUES (3, 'cy', 'cy@example.org');"), 1).unwrap();
    let (id1, id2) = (registered_id(&registry, "people-value", 1), registered_id(&registry, "people-value", 2));
    assert_ne!(id1, id2);
    // Another producer's schema (under its own subject: ids are global): fields in another
    // order, one the table lacks (with a default), `name` not nullable.
    // {name: "dee", id: 4, age: 30, email: null}.
    let other = registry.register(
        "another-producer",
        r#"{"type":"record","name":"Person","namespace":"com.example","fields":[
            {"name":"name","type":"string"},{"name":"id","type":"long"},
            {"name":"age","type":"int","default":0},
            {"name":"email","type":["null","string"],"default":null}]}"#,
    );
    let mut m = vec![0];
    m.extend_from_slice(&other.to_be_bytes());
    m.extend_from_slice(&[0x06, b'd', b'e', b'e', 0x08, 0x3c, 0x00]);
    produce(&broker, "people", vec![KafkaProducerRecord { value: Some(m), ..Default::default() }]);
    let ids: Vec<u32> = consume_raw(&broker, "people").iter().map(|(_, v)| id_of(v.as_ref().unwrap())).collect();
    assert_eq!(ids, [id1, id1, id2, other]);

    // The old table skips the new field; the new one reads NULL where the writer had none.
    let rows = run(&format!("{v1} SELECT id, name FROM people;"), 1).unwrap();
    assert_eq!(rows, ["+I[1, ann]", "+I[2, bo]", "+I[3, cy]", "+I[4, dee]"]);
    let rows = run(&format!("{v2} SELECT id, name, email FROM people;"), 1).unwrap();
    assert_eq!(rows, ["+I[1, ann, null]", "+I[2, bo, null]", "+I[3, cy, cy@example.org]", "+I[4, dee, null]"]);

    // A writer schema that cannot be read into the table fails the job, naming the id.
    let strict = table(&broker, &registry, "people", "id BIGINT NOT NULL, name INT", "people", "");
    let e = run(&format!("{strict} SELECT id FROM people;"), 1).unwrap_err().to_string();
    assert!(e.contains(&format!("writer schema {id1}")) && e.contains("'name'"), "{e}");
}

#[test]
fn basic_authentication_is_sent_to_the_registry() {
    let broker = KafkaBroker::start();
    let registry = SchemaRegistry::start(&broker, &["--require-auth", "--basic-user", "weir:s3cret"]);
    broker.create_topic("secure", 1);
    let auth = ", 'avro-confluent.basic-auth.credentials-source' = 'USER_INFO', \
                'avro-confluent.basic-auth.user-info' = 'weir:s3cret'";
    let t = table(&broker, &registry, "s", "v INT", "secure", auth);
    run(&format!("{t} INSERT INTO s VALUES (5);"), 1).unwrap();
    assert_eq!(run(&format!("{t} SELECT v FROM s;"), 1).unwrap(), ["+I[5]"]);
    let anonymous = table(&broker, &registry, "s", "v INT", "secure", "");
    let e = run(&format!("{anonymous} INSERT INTO s VALUES (6);"), 1).unwrap_err().to_string();
    assert!(e.contains("cannot register the schema under subject 'secure-value'") && e.contains("HTTP 401"), "{e}");
    let wrong = auth.replace("s3cret", "guess");
    let e = run(&format!("{} SELECT v FROM s;", table(&broker, &registry, "s", "v INT", "secure", &wrong)), 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("answered GET /schemas/ids/") && e.contains("HTTP 401"), "{e}");
}

#[test]
fn bearer_tokens_are_sent_to_the_registry() {
    let broker = KafkaBroker::start();
    // The registry's development mode takes unsigned JWTs (alg none) with a subject and an
    // expiry: {"alg":"none"} . {"sub":"weir","exp":4102444800} (the year 2100) .
    let registry = SchemaRegistry::start(&broker, &["--require-auth", "--bearer", "unsecured"]);
    broker.create_topic("tokens", 1);
    let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ3ZWlyIiwiZXhwIjo0MTAyNDQ0ODAwfQ.";
    let auth = format!(
        ", 'avro-confluent.bearer-auth.credentials-source' = 'STATIC_TOKEN', 'avro-confluent.bearer-auth.token' = '{token}'"
    );
    let t = table(&broker, &registry, "b", "v INT", "tokens", &auth);
    run(&format!("{t} INSERT INTO b VALUES (7);"), 1).unwrap();
    assert_eq!(run(&format!("{t} SELECT v FROM b;"), 1).unwrap(), ["+I[7]"]);
    let anonymous = table(&broker, &registry, "b", "v INT", "tokens", "");
    let e = run(&format!("{anonymous} SELECT v FROM b;"), 1).unwrap_err().to_string();
    assert!(e.contains("HTTP 401"), "{e}");
}

#[test]
fn avro_confluent_option_errors() {
    let t = |options: &str| {
        format!(
            "CREATE TABLE t (v INT) WITH ('connector' = 'kafka', 'topic' = 'x',
               'properties.bootstrap.servers' = '127.0.0.1:1', 'format' = 'avro-confluent'{options});"
        )
    };
    let e = sql_common::error(&t(""));
    assert!(e.contains("needs the option 'avro-confluent.url'"), "{e}");
    let e = sql_common::error(&t(", 'avro-confluent.url' = 'https://r:8081'"));
    assert!(e.contains("plain HTTP only"), "{e}");
    let e =
        sql_common::error(&t(", 'avro-confluent.url' = 'http://r', 'avro-confluent.ssl.truststore.location' = '/x'"));
    assert!(e.contains("'avro-confluent.ssl.truststore.location'") && e.contains("no TLS"), "{e}");
    let e = sql_common::error(&t(", 'avro-confluent.url' = 'http://r', 'avro-confluent.nope' = '1'"));
    assert!(e.contains("supported: avro-confluent.url"), "{e}");
    // Columns Avro cannot hold are refused when the table is read, before any message (the
    // topic is empty) and without asking the registry (nothing listens on port 1).
    let broker = KafkaBroker::start();
    broker.create_topic("empty", 1);
    let extra = ", 'avro-confluent.url' = 'http://127.0.0.1:1'";
    let read = sql_common::kafka::kafka_table(&broker, "t", "v INTERVAL DAY", "empty", "avro-confluent", extra);
    let e = run(&format!("{read} SELECT v FROM t;"), 1).unwrap_err().to_string();
    assert!(e.contains("format 'avro-confluent'") && e.contains("'v'"), "{e}");
    let e = sql_common::error(
        "CREATE TABLE f (v INT) WITH ('connector' = 'filesystem', 'path' = '/tmp', 'format' = 'avro-confluent',
           'avro-confluent.url' = 'http://r');",
    );
    assert!(e.contains("is for Kafka messages"), "{e}");
}
