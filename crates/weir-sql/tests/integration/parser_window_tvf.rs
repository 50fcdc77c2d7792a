//! The normal form of Flink's window table-valued functions.

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArgOperator, FunctionArguments, SetExpr, TableFactor,
};
use weir_sql::parser::ast::Statement;
use weir_sql::parser::parse_statement;

/// The `FROM` item of `SELECT * FROM …`.
fn from(sql: &str) -> TableFactor {
    let statement = parse_statement(sql).unwrap_or_else(|e| panic!("{}", e.render(sql))).node;
    let Statement::Query(q) = statement else { panic!("{statement:?}") };
    let SetExpr::Select(select) = *q.body else { panic!() };
    select.from[0].relation.clone()
}

/// The window call and its arguments.
fn window(sql: &str) -> (String, Vec<FunctionArg>, Option<String>) {
    let TableFactor::TableFunction { expr: Expr::Function(f), alias } = from(sql) else { panic!("{sql}") };
    let FunctionArguments::List(list) = f.args else { panic!() };
    (f.name.to_string(), list.args, alias.map(|a| a.name.value))
}

fn unnamed(arg: &FunctionArg) -> &Expr {
    match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn tumble_positional() {
    let (name, args, alias) =
        window("SELECT * FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))");
    assert_eq!(name, "TUMBLE");
    assert_eq!(alias, None);
    assert_eq!(args.len(), 3);
    match unnamed(&args[0]) {
        Expr::Identifier(i) => assert_eq!(i.value, "bid"),
        other => panic!("{other:?}"),
    }
    match unnamed(&args[1]) {
        Expr::Function(f) => {
            assert_eq!(f.name.to_string(), "DESCRIPTOR");
            assert_eq!(f.to_string(), "DESCRIPTOR(dateTime)");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(unnamed(&args[2]), Expr::Interval(_)));
}

#[test]
fn hop_cumulate_lowercase_qualified_and_alias() {
    let (name, args, alias) = window(
        "select * from table(hop(table cat.db.t, descriptor(ts), interval '2' seconds, interval '10' seconds)) as w",
    );
    assert_eq!(name, "HOP");
    assert_eq!(alias.as_deref(), Some("w"));
    match unnamed(&args[0]) {
        Expr::CompoundIdentifier(parts) => {
            assert_eq!(parts.iter().map(|p| p.value.as_str()).collect::<Vec<_>>(), ["cat", "db", "t"])
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(unnamed(&args[2]).to_string(), "INTERVAL '2' SECOND");
    assert_eq!(unnamed(&args[3]).to_string(), "INTERVAL '10' SECOND");

    let (name, args, _) =
        window("SELECT * FROM TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTES, INTERVAL '1' HOURS))");
    assert_eq!(name, "CUMULATE");
    assert_eq!(
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        ["t", "DESCRIPTOR(ts)", "INTERVAL '1' MINUTE", "INTERVAL '1' HOUR"]
    );
}

#[test]
fn session_partition_keys_are_a_trailing_call() {
    let (name, args, _) =
        window("SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY item, DESCRIPTOR(ts), INTERVAL '5' MINUTES))");
    assert_eq!(name, "SESSION");
    assert_eq!(args.len(), 4);
    match unnamed(&args[3]) {
        Expr::Function(f) => {
            assert_eq!(f.name.to_string(), "PARTITION_BY");
            assert_eq!(f.to_string(), "PARTITION_BY(item)");
        }
        other => panic!("{other:?}"),
    }
    let (_, args, _) =
        window("SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY (a, b), DESCRIPTOR(ts), INTERVAL '5' MINUTE))");
    assert_eq!(args[0].to_string(), "bid");
    assert_eq!(args[3].to_string(), "PARTITION_BY(a, b)");
}

#[test]
fn named_arguments() {
    let (name, args, _) = window(
        "SELECT * FROM TABLE(TUMBLE(DATA => TABLE t, timecol => DESCRIPTOR(ts), SIZE => INTERVAL '10' MINUTES, \
         OFFSET => INTERVAL '1' MINUTE))",
    );
    assert_eq!(name, "TUMBLE");
    let names: Vec<String> = args
        .iter()
        .map(|a| match a {
            FunctionArg::Named { name, operator: FunctionArgOperator::RightArrow, .. } => name.value.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["DATA", "TIMECOL", "SIZE", "OFFSET"]);
    match &args[0] {
        FunctionArg::Named { arg: FunctionArgExpr::Expr(Expr::Identifier(i)), .. } => assert_eq!(i.value, "t"),
        other => panic!("{other:?}"),
    }
    assert_eq!(args[2].to_string(), "SIZE => INTERVAL '10' MINUTE");
}

#[test]
fn legacy_group_window_stays_a_function() {
    let sql = "SELECT TUMBLE_START(ts, INTERVAL '1' HOUR), COUNT(*) FROM t GROUP BY TUMBLE(ts, INTERVAL '1' HOUR)";
    let Statement::Query(q) = parse_statement(sql).unwrap().node else { panic!() };
    assert_eq!(q.to_string(), sql);
}

#[test]
fn window_tvf_errors() {
    let sql = "SELECT * FROM TABLE(TUMBLE(TABLE (SELECT * FROM t), DESCRIPTOR(ts), INTERVAL '1' SECOND))";
    let err = parse_statement(sql).unwrap_err();
    assert!(err.message.contains("must be a table or view name"), "{}", err.message);
    assert_eq!((err.position.unwrap().line, err.position.unwrap().column), (1, 34));

    let sql =
        "SELECT * FROM TABLE(HOP(TABLE t PARTITION BY k, DESCRIPTOR(ts), INTERVAL '1' SECOND, INTERVAL '2' SECOND))";
    let err = parse_statement(sql).unwrap_err();
    assert_eq!(err.message, "PARTITION BY is only allowed in SESSION windows, not in HOP");
    assert_eq!(err.position.unwrap().column, 33);

    let sql = "SELECT * FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts) INTERVAL '1' SECOND))";
    let err = parse_statement(sql).unwrap_err();
    assert_eq!(err.message, "Expected ',' or ')' in the arguments of TUMBLE, found 'INTERVAL'");
    assert_eq!(err.position.unwrap().column, 52);
}
