//! The session's catalog: tables, views and user functions by name, in Flink's catalogs and
//! databases (`default_catalog`.`default_database` to begin with).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion_expr::{AggregateUDF, LogicalPlan, ScalarUDF};
use sqlparser::ast::{Expr, ObjectName};

use crate::error::{Result, SqlError};
use crate::types::FlinkType;

pub mod namespace;

pub use namespace::{Database, InMemoryCatalog, ObjectPath};

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

/// Tables, views and functions of a session, in Flink's namespaces: catalogs holding
/// databases holding tables and views (see [`namespace`]). Unqualified names resolve in the
/// current catalog and database; functions belong to the session.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The catalogs by name, `default_catalog` first made.
    catalogs: BTreeMap<String, InMemoryCatalog>,
    /// The current catalog (`USE CATALOG`).
    current_catalog: String,
    /// The current database of the current catalog (`USE`).
    current_database: String,
    /// Functions available to `CREATE FUNCTION … AS 'identifier'`, by identifier.
    registered: BTreeMap<String, UserFunction>,
    /// Functions created in the session, by lower-case name.
    functions: BTreeMap<String, UserFunction>,
}

impl Default for Catalog {
    fn default() -> Self {
        let mut catalogs = BTreeMap::new();
        catalogs.insert(DEFAULT_CATALOG.to_string(), InMemoryCatalog::new(DEFAULT_DATABASE));
        Catalog {
            catalogs,
            current_catalog: DEFAULT_CATALOG.to_string(),
            current_database: DEFAULT_DATABASE.to_string(),
            registered: BTreeMap::new(),
            functions: BTreeMap::new(),
        }
    }
}

/// The parts of `name` as written, back quotes removed.
pub fn name_parts(name: &ObjectName) -> Vec<String> {
    name.0.iter().map(|p| p.as_ident().map_or_else(|| p.to_string(), |i| i.value.clone())).collect()
}

/// The object name within `name` (its last part), whatever catalog and database qualify it.
pub fn object_name(name: &ObjectName) -> Result<String> {
    name_parts(name).pop().ok_or_else(|| SqlError::validation("An object name cannot be empty"))
}

impl Catalog {
    /// Adds `table` to the current database; an existing table or view of that name is an
    /// error unless `if_not_exists`.
    pub fn create_table(&mut self, table: TableDef, if_not_exists: bool) -> Result<()> {
        let path = self.path_in_current(&table.name);
        self.create_table_at(&path, table, if_not_exists)
    }

    /// Replaces the definition of an existing table of the current database.
    pub fn replace_table(&mut self, table: TableDef) {
        let path = self.path_in_current(&table.name);
        self.replace_table_at(&path, table);
    }

    /// Adds `view` to the current database.
    pub fn create_view(&mut self, view: ViewDef, if_not_exists: bool) -> Result<()> {
        let path = self.path_in_current(&view.name);
        self.create_view_at(&path, view, if_not_exists)
    }

    /// The table called `name` in the current database.
    pub fn table(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.table_at(&self.path_in_current(name))
    }

    /// The view called `name` in the current database.
    pub fn view(&self, name: &str) -> Option<&Arc<ViewDef>> {
        self.view_at(&self.path_in_current(name))
    }

    /// Removes table `name` of the current database; whether it existed.
    pub fn drop_table(&mut self, name: &str) -> bool {
        let path = self.path_in_current(name);
        self.drop_table_at(&path)
    }

    /// Removes view `name` of the current database; whether it existed.
    pub fn drop_view(&mut self, name: &str) -> bool {
        let path = self.path_in_current(name);
        self.drop_view_at(&path)
    }

    /// Table names of the current database, sorted.
    pub fn table_names(&self) -> Vec<String> {
        self.current().map(|d| d.tables.keys().cloned().collect()).unwrap_or_default()
    }

    /// View names of the current database, sorted.
    pub fn view_names(&self) -> Vec<String> {
        self.current().map(|d| d.views.keys().cloned().collect()).unwrap_or_default()
    }

    /// Table and view names of the current database, for "did you mean" suggestions.
    pub fn relation_names(&self) -> impl Iterator<Item = &String> {
        self.current().into_iter().flat_map(|d| d.tables.keys().chain(d.views.keys()))
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
