//! The session's catalog: tables, views and user functions by name, as Flink's default
//! catalog and database hold them.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion_expr::{AggregateUDF, LogicalPlan, ScalarUDF};
use sqlparser::ast::{Expr, ObjectName};

use crate::error::{Result, SqlError};
use crate::types::FlinkType;

/// The names of Flink's default catalog and database, which may prefix table names.
pub const DEFAULT_CATALOG: &str = "default_catalog";
/// See [`DEFAULT_CATALOG`].
pub const DEFAULT_DATABASE: &str = "default_database";

/// One column of a table.
#[derive(Debug, Clone)]
pub struct Column {
    /// Column name, case as declared.
    pub name: String,
    /// Its type (for a computed column, the type of its expression).
    pub ty: FlinkType,
    /// Where its values come from.
    pub source: ColumnSource,
}

/// Where a column's values come from.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum ColumnSource {
    /// The connector's format.
    Physical,
    /// An expression over the other columns.
    Computed(Expr),
    /// The connector's metadata under `key`; virtual ones are not written by sinks.
    Metadata {
        /// The metadata key.
        key: String,
        /// Read-only.
        is_virtual: bool,
    },
}

/// A table: columns, watermark, key and connector options.
#[derive(Debug, Clone)]
pub struct TableDef {
    /// Table name.
    pub name: String,
    /// Columns in declared order.
    pub columns: Vec<Column>,
    /// The rowtime column and its watermark expression.
    pub watermark: Option<(String, Expr)>,
    /// Primary key columns.
    pub primary_key: Vec<String>,
    /// Partition columns.
    pub partitioned_by: Vec<String>,
    /// `WITH` options, keys as written.
    pub options: BTreeMap<String, String>,
    /// `COMMENT`.
    pub comment: Option<String>,
    /// Set by the planner for one scan: the physical columns the query reads (`None`: all).
    /// A format that can skip columns leaves the others NULL (projection pushdown).
    pub read_columns: Option<std::collections::BTreeSet<String>>,
}

impl TableDef {
    /// The option `key`, if set.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options.get(key).map(String::as_str)
    }

    /// The option `key`, or an error naming the table and the key.
    pub fn required_option(&self, key: &str) -> Result<&str> {
        self.option(key).ok_or_else(|| SqlError::option(format!("Table '{}' needs the option '{key}'", self.name)))
    }

    /// The `connector` option.
    pub fn connector(&self) -> Result<&str> {
        self.required_option("connector")
    }

    /// All columns as an Arrow schema (what queries see).
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns.iter().map(|c| Field::new(&c.name, c.ty.to_arrow(), c.ty.nullable)).collect::<Vec<_>>(),
        ))
    }

    /// The physical columns as an Arrow schema (what the format reads and writes).
    pub fn physical_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .filter(|c| matches!(c.source, ColumnSource::Physical))
                .map(|c| Field::new(&c.name, c.ty.to_arrow(), c.ty.nullable))
                .collect::<Vec<_>>(),
        ))
    }

    /// The columns a sink writes: physical and non-virtual metadata.
    pub fn sink_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| match c.source {
            ColumnSource::Physical => true,
            ColumnSource::Metadata { is_virtual, .. } => !is_virtual,
            ColumnSource::Computed(_) => false,
        })
    }

    /// The [`Self::sink_columns`] as an Arrow schema.
    pub fn sink_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.sink_columns().map(|c| Field::new(&c.name, c.ty.to_arrow(), c.ty.nullable)).collect::<Vec<_>>(),
        ))
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A view: a named query, planned when used.
#[derive(Debug, Clone)]
pub struct ViewDef {
    /// View name.
    pub name: String,
    /// The query's text, for `SHOW CREATE` and `DESCRIBE`.
    pub query: sqlparser::ast::Query,
    /// Column names given at creation.
    pub columns: Vec<String>,
    /// The view's plan, made at creation (its tables must exist then, as in Flink).
    pub plan: Arc<LogicalPlan>,
}

/// A user function registered from Rust.
#[derive(Debug, Clone)]
pub enum UserFunction {
    /// A scalar function.
    Scalar(Arc<ScalarUDF>),
    /// An aggregate function.
    Aggregate(Arc<AggregateUDF>),
}

impl UserFunction {
    /// A deterministic scalar function over whole columns: `f` gets one array per argument
    /// (of `inputs` types, all of the batch's length) and returns the result column of type
    /// `output`. Register it with `Session::register_function` under an identifier, then
    /// `CREATE FUNCTION name AS 'identifier'` makes it callable.
    pub fn scalar<F>(
        name: &str,
        inputs: Vec<arrow::datatypes::DataType>,
        output: arrow::datatypes::DataType,
        f: F,
    ) -> Self
    where
        F: Fn(&[arrow::array::ArrayRef]) -> std::result::Result<arrow::array::ArrayRef, weir_runtime::BoxError>
            + Send
            + Sync
            + 'static,
    {
        use datafusion_expr::ColumnarValue;
        let call = move |args: &[ColumnarValue]| -> datafusion_common::Result<ColumnarValue> {
            let rows = args
                .iter()
                .find_map(|a| match a {
                    ColumnarValue::Array(a) => Some(a.len()),
                    ColumnarValue::Scalar(_) => None,
                })
                .unwrap_or(1);
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let arrays: Vec<arrow::array::ArrayRef> =
                arrays.into_iter().map(|a| if a.len() == rows { a } else { a.slice(0, a.len().min(rows)) }).collect();
            let result = f(&arrays).map_err(datafusion_common::DataFusionError::External)?;
            Ok(ColumnarValue::Array(result))
        };
        UserFunction::Scalar(Arc::new(datafusion_expr::create_udf(
            name,
            inputs,
            output,
            datafusion_expr::Volatility::Immutable,
            Arc::new(call),
        )))
    }
}

/// Tables, views and functions of a session.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    tables: BTreeMap<String, Arc<TableDef>>,
    views: BTreeMap<String, Arc<ViewDef>>,
    /// Functions available to `CREATE FUNCTION … AS 'identifier'`, by identifier.
    registered: BTreeMap<String, UserFunction>,
    /// Functions created in the session, by lower-case name.
    functions: BTreeMap<String, UserFunction>,
}

/// The table name within `name`, which may be qualified by Flink's default catalog and
/// database.
pub fn object_name(name: &ObjectName) -> Result<String> {
    let parts: Vec<String> = name.0.iter().map(|p| p.to_string().trim_matches('`').to_string()).collect();
    match parts.as_slice() {
        [table] => Ok(table.clone()),
        [db, table] if db == DEFAULT_DATABASE => Ok(table.clone()),
        [cat, db, table] if cat == DEFAULT_CATALOG && db == DEFAULT_DATABASE => Ok(table.clone()),
        _ => Err(SqlError::validation(format!(
            "Object '{name}' is not in the current catalog '{DEFAULT_CATALOG}' and database '{DEFAULT_DATABASE}'"
        ))),
    }
}

impl Catalog {
    /// Adds `table`; an existing table or view of that name is an error unless
    /// `if_not_exists`.
    pub fn create_table(&mut self, table: TableDef, if_not_exists: bool) -> Result<()> {
        if self.tables.contains_key(&table.name) || self.views.contains_key(&table.name) {
            if if_not_exists {
                return Ok(());
            }
            return Err(SqlError::validation(format!("Table or view '{}' already exists", table.name)));
        }
        self.tables.insert(table.name.clone(), Arc::new(table));
        Ok(())
    }

    /// Replaces the definition of an existing table (`ALTER TABLE`).
    pub fn replace_table(&mut self, table: TableDef) {
        self.tables.insert(table.name.clone(), Arc::new(table));
    }

    /// Adds `view`.
    pub fn create_view(&mut self, view: ViewDef, if_not_exists: bool) -> Result<()> {
        if self.tables.contains_key(&view.name) || self.views.contains_key(&view.name) {
            if if_not_exists {
                return Ok(());
            }
            return Err(SqlError::validation(format!("Table or view '{}' already exists", view.name)));
        }
        self.views.insert(view.name.clone(), Arc::new(view));
        Ok(())
    }

    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.tables.get(name)
    }

    /// The view called `name`.
    pub fn view(&self, name: &str) -> Option<&Arc<ViewDef>> {
        self.views.get(name)
    }

    /// Removes table `name`; whether it existed.
    pub fn drop_table(&mut self, name: &str) -> bool {
        self.tables.remove(name).is_some()
    }

    /// Removes view `name`; whether it existed.
    pub fn drop_view(&mut self, name: &str) -> bool {
        self.views.remove(name).is_some()
    }

    /// Table names, sorted.
    pub fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    /// View names, sorted.
    pub fn view_names(&self) -> Vec<String> {
        self.views.keys().cloned().collect()
    }

    /// Table and view names, for "did you mean" suggestions.
    pub fn relation_names(&self) -> impl Iterator<Item = &String> {
        self.tables.keys().chain(self.views.keys())
    }

    /// Makes a Rust function available to `CREATE FUNCTION name AS 'identifier'`.
    pub fn register_function(&mut self, identifier: &str, function: UserFunction) {
        self.registered.insert(identifier.to_string(), function);
    }

    /// `CREATE FUNCTION name AS 'identifier'`.
    pub fn create_function(&mut self, name: &str, identifier: &str, if_not_exists: bool) -> Result<()> {
        let key = name.to_lowercase();
        if self.functions.contains_key(&key) {
            if if_not_exists {
                return Ok(());
            }
            return Err(SqlError::validation(format!("Function '{name}' already exists")));
        }
        let function = self.registered.get(identifier).cloned().ok_or_else(|| {
            SqlError::validation(format!(
                "No function registered as '{identifier}'; register Rust functions with \
                 Session::register_function before CREATE FUNCTION (registered: {})",
                self.registered.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        self.functions.insert(key, function);
        Ok(())
    }

    /// Removes function `name`; whether it existed.
    pub fn drop_function(&mut self, name: &str) -> bool {
        self.functions.remove(&name.to_lowercase()).is_some()
    }

    /// The session function called `name` (any case).
    pub fn function(&self, name: &str) -> Option<&UserFunction> {
        self.functions.get(&name.to_lowercase())
    }

    /// Session function names, sorted.
    pub fn function_names(&self) -> Vec<String> {
        self.functions.keys().cloned().collect()
    }
}
