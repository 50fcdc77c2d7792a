//! `'format' = 'avro'` on Kafka tables against a real Kafka-protocol broker (tansu on
//! loopback), in sql_kafka.rs's style: each message value (and key, with `'key.format' =
//! 'avro'`) is one record in Avro's binary encoding without header, the schema derived from
//! the columns as Flink derives it; undecodable messages fail naming topic, partition and
//! offset, or are skipped.

use crate::sql_common;

use sql_common::kafka::{consume_raw, produce};
use sql_common::run;
use weir_connectors::kafka::KafkaProducerRecord;
use weir_testkit::kafka::KafkaBroker;

/// An Avro Kafka table read from the earliest to the latest offset.
fn kafka_table(broker: &KafkaBroker, name: &str, columns: &str, topic: &str, extra: &str) -> String {
    sql_common::kafka::kafka_table(broker, name, columns, topic, "avro", extra)
}

/// Writes raw values, one record per batch.
fn produce_values(broker: &KafkaBroker, topic: &str, values: Vec<Vec<u8>>) {
    produce(
        broker,
        topic,
        values.into_iter().map(|v| KafkaProducerRecord { value: Some(v), ..Default::default() }).collect(),
    );
}

#[test]
fn avro_keys_and_values_round_trip_through_kafka() {
    let broker = KafkaBroker::start();
    broker.create_topic("orders", 2);
    let orders = kafka_table(
        &broker,
        "orders",
        "id BIGINT NOT NULL, customer STRING, amount DECIMAL(5, 2)",
        "orders",
        ", 'key.format' = 'avro', 'key.fields' = 'customer', 'value.fields-include' = 'EXCEPT_KEY'",
    );
    let sql = format!(
        "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '40');
         {orders}
         INSERT INTO orders SELECT id, CASE WHEN id % 10 = 0 THEN CAST(NULL AS STRING) ELSE CONCAT('c', CAST(id % 3 AS STRING)) END,
           CAST(id * 1.5 AS DECIMAL(5, 2)) FROM gen;"
    );
    run(&sql, 2).unwrap();
    let raw = consume_raw(&broker, "orders");
    assert_eq!(raw.len(), 40);
    // id 1: key {customer: "c1"} → branch 1 (02), length 2 (04), 'c' '1';
    // value {id: 1, amount: 1.50} → long 1 (02), branch 1 (02), unscaled 150 = 0x96, which
    // needs a leading 00 to stay positive: length 2 (04) 00 96.
    let one = (Some(vec![0x02, 0x04, b'c', b'1']), Some(vec![0x02, 0x02, 0x04, 0x00, 0x96]));
    assert!(raw.contains(&one), "{raw:?}");
    // id 10: a NULL key column → branch 0; amount 15.00 = 1500 = 0x05dc; long 10 → 14.
    let ten = (Some(vec![0x00]), Some(vec![0x14, 0x02, 0x04, 0x05, 0xdc]));
    assert!(raw.contains(&ten), "{raw:?}");

    let mut rows =
        run(&format!("{orders} SELECT id, customer, amount FROM orders WHERE id <= 10 OR id = 40;"), 2).unwrap();
    rows.sort_by_key(|r| r[3..].split(',').next().unwrap().parse::<i64>().unwrap());
    assert_eq!(
        rows,
        [
            "+I[1, c1, 1.50]",
            "+I[2, c2, 3.00]",
            "+I[3, c0, 4.50]",
            "+I[4, c1, 6.00]",
            "+I[5, c2, 7.50]",
            "+I[6, c0, 9.00]",
            "+I[7, c1, 10.50]",
            "+I[8, c2, 12.00]",
            "+I[9, c0, 13.50]",
            "+I[10, null, 15.00]",
            "+I[40, null, 60.00]",
        ]
    );
}

#[test]
fn undecodable_avro_messages_name_topic_partition_and_offset_or_are_skipped() {
    let broker = KafkaBroker::start();
    broker.create_topic("dirty", 1);
    // v INT is the union ["null", "int"]: {v: 1} is branch 1 (02) then 1 (02); the second
    // message names branch 2, which the union lacks; the third is {v: 3}.
    produce_values(&broker, "dirty", vec![vec![0x02, 0x02], vec![0x04, 0x02], vec![0x02, 0x06]]);
    let strict = kafka_table(&broker, "d", "v INT", "dirty", "");
    let e = run(&format!("{strict} SELECT v FROM d;"), 1).unwrap_err().to_string();
    assert!(e.contains("Failed to deserialize AVRO record at table 'd', topic dirty, partition 0, offset 1"), "{e}");
    assert!(e.contains("field 'v': union branch 2 out of range"), "{e}");
    let skip = kafka_table(&broker, "d", "v INT", "dirty", ", 'scan.bad-records' = 'skip'");
    assert_eq!(run(&format!("{skip} SELECT v FROM d;"), 1).unwrap(), ["+I[1]", "+I[3]"]);
}
