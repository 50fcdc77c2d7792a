//! Flink data types.

use weir_sql::parser::parse_type;
use weir_sql::types::{FlinkType, TypeKind, MAX_LENGTH};

fn n(kind: TypeKind) -> FlinkType {
    FlinkType::nullable(kind)
}

fn nn(kind: TypeKind) -> FlinkType {
    FlinkType { kind, nullable: false }
}

fn ty(sql: &str) -> FlinkType {
    parse_type(sql).unwrap_or_else(|e| panic!("{}", e.render(sql)))
}

#[test]
fn scalar_types() {
    for (sql, kind) in [
        ("TINYINT", TypeKind::TinyInt),
        ("smallint", TypeKind::SmallInt),
        ("INT", TypeKind::Int),
        ("INTEGER", TypeKind::Int),
        ("BIGINT", TypeKind::BigInt),
        ("FLOAT", TypeKind::Float),
        ("REAL", TypeKind::Float),
        ("DOUBLE", TypeKind::Double),
        ("DOUBLE PRECISION", TypeKind::Double),
        ("DECIMAL", TypeKind::Decimal(10, 0)),
        ("DEC(5)", TypeKind::Decimal(5, 0)),
        ("NUMERIC(38, 18)", TypeKind::Decimal(38, 18)),
        ("BOOLEAN", TypeKind::Boolean),
        ("CHAR", TypeKind::Char(1)),
        ("CHAR(3)", TypeKind::Char(3)),
        ("VARCHAR(20)", TypeKind::Varchar(20)),
        // Flink's DDL: VARCHAR and VARBINARY without a length are STRING and BYTES.
        ("VARCHAR", TypeKind::Varchar(MAX_LENGTH)),
        ("STRING", TypeKind::Varchar(MAX_LENGTH)),
        ("BINARY", TypeKind::Binary(1)),
        ("VARBINARY", TypeKind::Varbinary(MAX_LENGTH)),
        ("BINARY(4)", TypeKind::Binary(4)),
        ("VARBINARY(8)", TypeKind::Varbinary(8)),
        ("BYTES", TypeKind::Varbinary(MAX_LENGTH)),
        ("DATE", TypeKind::Date),
        ("TIME", TypeKind::Time(0)),
        ("TIME(3)", TypeKind::Time(3)),
        ("TIMESTAMP", TypeKind::Timestamp(6)),
        ("TIMESTAMP(3)", TypeKind::Timestamp(3)),
        ("TIMESTAMP(9) WITHOUT TIME ZONE", TypeKind::Timestamp(9)),
        ("TIMESTAMP WITH LOCAL TIME ZONE", TypeKind::TimestampLtz(6)),
        ("TIMESTAMP(3) WITH LOCAL TIME ZONE", TypeKind::TimestampLtz(3)),
        ("TIMESTAMP_LTZ", TypeKind::TimestampLtz(6)),
        ("TIMESTAMP_LTZ(0)", TypeKind::TimestampLtz(0)),
        ("INTERVAL YEAR TO MONTH", TypeKind::IntervalYearMonth),
        ("INTERVAL MONTH", TypeKind::IntervalYearMonth),
        ("INTERVAL DAY(2) TO SECOND(3)", TypeKind::IntervalDayTime),
        ("INTERVAL HOUR TO MINUTE", TypeKind::IntervalDayTime),
        ("INTERVAL SECOND(3)", TypeKind::IntervalDayTime),
    ] {
        assert_eq!(ty(sql), n(kind), "{sql}");
    }
}

#[test]
fn nullability() {
    assert_eq!(ty("INT NOT NULL"), nn(TypeKind::Int));
    assert_eq!(ty("STRING NULL"), n(TypeKind::Varchar(MAX_LENGTH)));
    assert_eq!(ty("TIMESTAMP(3) WITH LOCAL TIME ZONE NOT NULL"), nn(TypeKind::TimestampLtz(3)));
}

#[test]
fn collection_types() {
    assert_eq!(ty("ARRAY<INT>"), n(TypeKind::Array(Box::new(n(TypeKind::Int)))));
    assert_eq!(ty("INT NOT NULL ARRAY"), n(TypeKind::Array(Box::new(nn(TypeKind::Int)))));
    assert_eq!(ty("INT ARRAY NOT NULL"), nn(TypeKind::Array(Box::new(n(TypeKind::Int)))));
    assert_eq!(ty("STRING MULTISET"), n(TypeKind::Multiset(Box::new(n(TypeKind::Varchar(MAX_LENGTH))))));
    assert_eq!(ty("MULTISET<INT>"), n(TypeKind::Multiset(Box::new(n(TypeKind::Int)))));
    assert_eq!(
        ty("MAP<STRING, BIGINT NOT NULL>"),
        n(TypeKind::Map(Box::new(n(TypeKind::Varchar(MAX_LENGTH))), Box::new(nn(TypeKind::BigInt))))
    );
    // `>>` closes two levels.
    assert_eq!(ty("ARRAY<ARRAY<INT>>"), n(TypeKind::Array(Box::new(n(TypeKind::Array(Box::new(n(TypeKind::Int))))))));
    assert_eq!(
        ty("MAP<STRING, ARRAY<INT>> NOT NULL"),
        nn(TypeKind::Map(
            Box::new(n(TypeKind::Varchar(MAX_LENGTH))),
            Box::new(n(TypeKind::Array(Box::new(n(TypeKind::Int)))))
        ))
    );
    assert_eq!(ty("ARRAY<ARRAY<ARRAY<INT>>>").to_string(), "ARRAY<ARRAY<ARRAY<INT>>>");
}

#[test]
fn row_types() {
    let expected = n(TypeKind::Row(vec![
        ("a".to_string(), n(TypeKind::Int)),
        ("b".to_string(), nn(TypeKind::Varchar(MAX_LENGTH))),
    ]));
    assert_eq!(ty("ROW<a INT, b STRING NOT NULL>"), expected);
    assert_eq!(ty("ROW(a INT, b STRING NOT NULL)"), expected);
    assert_eq!(ty("ROW<a INT 'the a', `b` STRING NOT NULL 'the b'>"), expected);
    assert_eq!(
        ty("ROW<x ARRAY<ROW<y INT>>>"),
        n(TypeKind::Row(vec![(
            "x".to_string(),
            n(TypeKind::Array(Box::new(n(TypeKind::Row(vec![("y".to_string(), n(TypeKind::Int))])))))
        )]))
    );
}

#[test]
fn bad_types() {
    let err = parse_type("STRNG").unwrap_err();
    assert_eq!(err.message, "Unknown data type 'STRNG'; did you mean 'STRING'?");
    let err = parse_type("VARCHAR(10").unwrap_err();
    assert!(err.message.starts_with("Expected ')' after the length of VARCHAR"), "{}", err.message);
    assert!(parse_type("DECIMAL(39, 2)").unwrap_err().message.contains("between 1 and 38"));
    assert!(parse_type("DECIMAL(5, 6)").unwrap_err().message.contains("scale"));
    assert!(parse_type("TIMESTAMP(10)").unwrap_err().message.contains("between 0 and 9"));
    assert!(parse_type("ARRAY<INT").unwrap_err().message.contains("Expected '>' to close ARRAY"));
    assert!(parse_type("INTERVAL MONTH TO YEAR").unwrap_err().message.contains("not a valid interval type"));
    assert!(parse_type("TIMESTAMP WITH TIME ZONE").unwrap_err().message.contains("TIMESTAMP_LTZ"));
    assert!(parse_type("INT INT").unwrap_err().message.contains("Expected the end of the statement"));
    assert_eq!(parse_type("BIGINTEGER").unwrap_err().message, "Unknown data type 'BIGINTEGER'");
}
