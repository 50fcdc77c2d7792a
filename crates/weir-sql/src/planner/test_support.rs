//! What the planner's unit tests share: a catalog made by DDL, and queries planned over it.

use datafusion_expr::LogicalPlan;

use crate::catalog::Catalog;

/// The catalog `ddl` (statements run by a session) leaves.
pub(crate) fn catalog(ddl: &str) -> Catalog {
    struct Quiet;
    impl crate::session::ResultSink for Quiet {
        fn row(&mut self, _: &str) {}
        fn message(&mut self, _: &str) {}
    }
    let mut session = crate::session::Session::new(Default::default());
    session.execute_script(ddl, &mut Quiet).expect("ddl");
    session.catalog().clone()
}

/// The query `sql` planned over `catalog`.
pub(crate) fn plan(catalog: &Catalog, sql: &str) -> crate::error::Result<LogicalPlan> {
    let crate::parser::ast::Statement::Query(query) = crate::parser::parse_statement(sql).expect("parse").node else {
        panic!("a query")
    };
    super::plan_query(catalog, &query)
}
