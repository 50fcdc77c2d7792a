//! A SQL session: the catalog, `SET` options, and the execution of statements — DDL
//! changes the catalog, `INSERT INTO` and queries run as streaming jobs.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use datafusion_expr::LogicalPlan;
use sqlparser::ast::Query;
use weir::{DataStream, StreamExecutionEnvironment};

use crate::catalog::{object_name, Catalog, Column, ColumnSource, ObjectPath, TableDef, UserFunction, ViewDef};
use crate::error::{ErrorKind, Result, SqlError};
use crate::functions::{FunctionConfig, LocalTimeZone};
use crate::parser::ast::{CreateTable, Insert, Located, ObjectKind, Statement};
use crate::stream::translate::{Stream, Translator};
use crate::stream::Changes;
use crate::types::FlinkType;

mod alter_table;
mod namespaces;

/// How jobs of the session run.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Default parallelism (`parallelism.default`).
    pub parallelism: usize,
    /// Key groups (`pipeline.max-parallelism`).
    pub max_parallelism: usize,
    /// `table.exec.state.ttl` in milliseconds (`None`: state is kept forever).
    pub state_ttl_ms: Option<i64>,
    /// `table.exec.source.idle-timeout` in milliseconds (`None`: splits never go idle).
    pub source_idle_timeout_ms: Option<i64>,
    /// `table.exec.interval-join.min-cleanup-interval` in milliseconds (0 by default).
    pub interval_join_min_cleanup_ms: i64,
    /// `pipeline.auto-watermark-interval` is 0: a table's watermark goes out whenever a row
    /// advances it, as Flink's assigner sends it then, so `CURRENT_WATERMARK` shows each row
    /// the watermark of the rows before it. Otherwise it goes out after each batch (and
    /// before a row at or behind it, so lateness is judged as Flink judges it either way).
    pub watermark_every_row: bool,
    /// The session time zone (`table.local-time-zone`; UTC by default, where Flink takes the
    /// JVM's zone): how TIMESTAMP_LTZ values are shown and read as wall clocks.
    pub local_time_zone: LocalTimeZone,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            parallelism: 1,
            max_parallelism: weir_core::key_group::DEFAULT_MAX_PARALLELISM,
            state_ttl_ms: None,
            source_idle_timeout_ms: None,
            interval_join_min_cleanup_ms: 0,
            watermark_every_row: false,
            local_time_zone: LocalTimeZone::Utc,
        }
    }
}

impl JobSettings {
    /// The session settings functions depend on.
    pub fn function_config(&self) -> FunctionConfig {
        FunctionConfig::with_zone(self.local_time_zone)
    }
}

/// Called with the control of each job the session starts (to serve savepoint requests).
pub type JobStarted = Box<dyn FnMut(weir_runtime::JobControl) + Send>;

/// A SQL session.
#[derive(Default)]
pub struct Session {
    catalog: Catalog,
    options: BTreeMap<String, String>,
    settings: JobSettings,
    /// `WITH` options that replace a table's own when it is created, by table name.
    table_options: BTreeMap<String, BTreeMap<String, String>>,
    /// Rows the session's jobs have given their sinks.
    rows_written: Arc<std::sync::atomic::AtomicU64>,
    /// Checkpointing from the command line (`SET` options go over it).
    checkpointing: Option<weir_runtime::CheckpointSettings>,
    /// The restart strategy from the command line.
    restart_strategy: Option<weir_runtime::restart::RestartStrategy>,
    job_started: Option<JobStarted>,
    /// What the last `INSERT` job reported.
    last_job: Option<weir_runtime::JobExecutionResult>,
    /// Where jobs read processing time (`PROCTIME()`, processing-time windows); the
    /// machine's clock when unset.
    clock: Option<Arc<dyn weir_runtime::Clock>>,
}

/// Where query results and messages go.
pub trait ResultSink {
    /// A query's changelog row, rendered as `+I[…]`.
    fn row(&mut self, line: &str);
    /// A message (`[INFO] …`) or a listing.
    fn message(&mut self, text: &str);
    /// The column names of a query's result, before its rows.
    fn columns(&mut self, _names: &[String]) {}
    /// A query's changelog row: its kind and its values as text (`null` for NULL). By
    /// default rendered as the `print` connector does, `+I[v1, v2]`, and given to `row`.
    fn change(&mut self, kind: crate::changelog::RowKind, values: &[String]) {
        self.row(&format!("{}[{}]", kind.short_string(), values.join(", ")));
    }
}

/// Everything to a writer: rows as lines, messages too.
pub struct WriteSink<W: Write>(pub W);

impl<W: Write> ResultSink for WriteSink<W> {
    fn row(&mut self, line: &str) {
        let _ = writeln!(self.0, "{line}");
    }
    fn message(&mut self, text: &str) {
        let _ = writeln!(self.0, "{text}");
    }
}

impl Session {
    /// A session whose jobs run with `settings`.
    pub fn new(settings: JobSettings) -> Self {
        Session { settings, ..Default::default() }
    }

    /// The session with its jobs reading processing time from `clock` (a
    /// `weir_runtime::ManualClock` lets tests decide what `PROCTIME()` returns and when
    /// processing-time windows fire).
    pub fn with_clock(self, clock: Arc<dyn weir_runtime::Clock>) -> Self {
        Session { clock: Some(clock), ..self }
    }

    /// The catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Replaces the `WITH` options of the table `name` when a script creates it: the same
    /// script then reads or writes elsewhere (`weir nexmark --api sql` points the Nexmark
    /// tables at files, or its result table at an output directory, this way).
    pub fn override_table_options(&mut self, name: &str, options: BTreeMap<String, String>) {
        self.table_options.insert(name.to_string(), options);
    }

    /// Checkpoints the session's `INSERT` jobs with `settings` (from the command line;
    /// `SET 'execution.checkpointing.*'` options go over them). With checkpointing,
    /// filesystem sinks commit their files when checkpoints complete: exactly once.
    pub fn set_checkpointing(&mut self, settings: Option<weir_runtime::CheckpointSettings>) {
        self.checkpointing = settings;
    }

    /// Restarts failed jobs by `strategy` instead of the default.
    pub fn set_restart_strategy(&mut self, strategy: Option<weir_runtime::restart::RestartStrategy>) {
        self.restart_strategy = strategy;
    }

    /// Calls `f` with the control of every job the session starts, while it runs.
    pub fn on_job_started(&mut self, f: JobStarted) {
        self.job_started = Some(f);
    }

    /// What the last `INSERT` job reported (checkpoints, restarts), if one ran.
    pub fn last_job(&self) -> Option<&weir_runtime::JobExecutionResult> {
        self.last_job.as_ref()
    }

    /// Rows given to sinks by the jobs this session has run (`INSERT INTO`).
    pub fn rows_written(&self) -> u64 {
        self.rows_written.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Makes a Rust function available to `CREATE FUNCTION name AS 'identifier'`.
    pub fn register_function(&mut self, identifier: &str, function: UserFunction) {
        self.catalog.register_function(identifier, function);
    }

    /// Runs every statement of `script` in order; stops at the first error, which is
    /// returned with its position in the script.
    pub fn execute_script(&mut self, script: &str, out: &mut dyn ResultSink) -> Result<()> {
        let statements = crate::parser::parse_script(script)?;
        for statement in &statements {
            self.execute(statement, out).map_err(|e| e.at(statement.start))?;
        }
        Ok(())
    }

    /// Runs one statement.
    pub fn execute(&mut self, statement: &Located<Statement>, out: &mut dyn ResultSink) -> Result<()> {
        match &statement.node {
            Statement::CreateTable(create) => {
                let path = self.catalog.path(&create.name)?;
                self.catalog.existing_database(&path.catalog, &path.database)?;
                let table = self.table_def(create)?;
                self.catalog.create_table_at(&path, table, create.if_not_exists)?;
                out.message("[INFO] Execute statement succeeded.");
            }
            Statement::CreateView { name, columns, query, if_not_exists, .. } => {
                let path = self.catalog.path(name)?;
                self.catalog.existing_database(&path.catalog, &path.database)?;
                let name = path.name.clone();
                if columns.is_empty() {
                    if let Some(repeated) = crate::planner::naming::repeated_name(query) {
                        // Flink's words: a view's columns must be named apart.
                        return Err(SqlError::validation(format!(
                            "A column with the same name `{repeated}` has been defined."
                        )));
                    }
                }
                let plan = crate::planner::plan_query_in(&self.catalog, query, self.settings.function_config())?;
                let plan = if columns.is_empty() {
                    plan
                } else {
                    let names: Vec<String> = columns.iter().map(|c| c.value.clone()).collect();
                    if names.len() != plan.schema().fields().len() {
                        return Err(SqlError::validation(format!(
                            "View '{name}' names {} columns but its query has {}",
                            names.len(),
                            plan.schema().fields().len()
                        )));
                    }
                    let exprs = plan
                        .schema()
                        .columns()
                        .into_iter()
                        .zip(&names)
                        .map(|(c, n)| datafusion_expr::Expr::Column(c).alias(n))
                        .collect::<Vec<_>>();
                    datafusion_expr::LogicalPlanBuilder::from(plan)
                        .project(exprs)
                        .and_then(|b| b.build())
                        .map_err(crate::planner::plan_error)?
                };
                let view = ViewDef {
                    name: name.clone(),
                    query: query.as_ref().clone(),
                    columns: columns.iter().map(|c| c.value.clone()).collect(),
                    plan: Arc::new(plan),
                };
                self.catalog.create_view_at(&path, view, *if_not_exists)?;
                out.message("[INFO] Execute statement succeeded.");
            }
            Statement::CreateFunction { name, identifier, if_not_exists, .. } => {
                // Functions belong to the session, but a named database must exist, as in Flink.
                let path = self.catalog.path(name)?;
                self.catalog.existing_database(&path.catalog, &path.database)?;
                self.catalog.create_function(&object_name(name)?, identifier, *if_not_exists)?;
                out.message("[INFO] Execute statement succeeded.");
            }
            Statement::Drop { kind, name, if_exists } => {
                // Flink's words for what was not there.
                let missing = match kind {
                    ObjectKind::Table => {
                        let path = self.catalog.path(name)?;
                        (!self.catalog.drop_table_at(&path))
                            .then(|| format!("Table with identifier '{path}' does not exist."))
                    }
                    ObjectKind::View => {
                        let path = self.catalog.path(name)?;
                        (!self.catalog.drop_view_at(&path))
                            .then(|| format!("View with identifier '{path}' does not exist."))
                    }
                    ObjectKind::Function => (!self.catalog.drop_function(&object_name(name)?))
                        .then(|| format!("Function '{name}' does not exist")),
                };
                if let (Some(missing), false) = (missing, if_exists) {
                    return Err(SqlError::validation(missing));
                }
                out.message("[INFO] Execute statement succeeded.");
            }
            Statement::AlterTableSet { name, options } => {
                let (path, table) = self.altered_table(name)?;
                let mut table = table.as_ref().clone();
                for (k, v) in options {
                    table.options.insert(k.clone(), v.clone());
                }
                self.catalog.replace_table_at(&path, table);
                out.message("[INFO] Execute statement succeeded.");
            }
            Statement::AlterTableRename { name, to } => {
                let (path, table) = self.altered_table(name)?;
                let table = table.as_ref().clone();
                // Flink renames within the table's database, whatever qualifies the new name.
                let renamed = ObjectPath { name: object_name(to)?, ..path.clone() };
                self.catalog.create_table_at(&renamed, table, false)?;
                self.catalog.drop_table_at(&path);
                out.message("[INFO] Execute statement succeeded.");
            }
            Statement::AlterTable { name, change } => {
                let (path, table) = self.altered_table(name)?;
                let table = self.alter_table(table, change)?;
                self.catalog.replace_table_at(&path, table);
                out.message("[INFO] Execute statement succeeded.");
            }
            Statement::CreateCatalog { .. }
            | Statement::DropCatalog { .. }
            | Statement::UseCatalog(_)
            | Statement::CreateDatabase { .. }
            | Statement::DropDatabase { .. }
            | Statement::AlterDatabase { .. }
            | Statement::UseDatabase(_) => {
                self.execute_namespace(&statement.node)?;
                out.message("[INFO] Execute statement succeeded.");
            }
            Statement::Show(what) => out.message(&self.show(what)?),
            Statement::Describe(name) => {
                let path = self.catalog.path(name)?;
                out.message(&self.describe(&path)?);
            }
            Statement::Explain(inner) => {
                let text = match &inner.node {
                    Statement::Query(q) => self.explain(q)?,
                    Statement::Insert(i) => self.explain(&i.query)?,
                    _ => return Err(SqlError::unsupported("EXPLAIN takes a query or an INSERT")),
                };
                out.message(&text);
            }
            Statement::Set(None) => {
                let rows: Vec<Vec<String>> = self.options.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect();
                out.message(&table_text(&["key", "value"], &rows));
            }
            Statement::Set(Some((k, v))) => {
                self.set(k, v)?;
                out.message("[INFO] Execute statement succeeded.");
            }
            Statement::Reset(key) => {
                match key {
                    Some(k) => {
                        self.options.remove(k);
                        if k == "parallelism.default" {
                            self.settings.parallelism = JobSettings::default().parallelism;
                        }
                        if k == crate::job_options::STATE_TTL {
                            self.settings.state_ttl_ms = None;
                        }
                        if k == crate::job_options::SOURCE_IDLE_TIMEOUT {
                            self.settings.source_idle_timeout_ms = None;
                        }
                        if k == crate::job_options::INTERVAL_JOIN_MIN_CLEANUP {
                            self.settings.interval_join_min_cleanup_ms = 0;
                        }
                        if k == crate::job_options::AUTO_WATERMARK_INTERVAL {
                            self.settings.watermark_every_row = false;
                        }
                        if k == "table.local-time-zone" {
                            self.settings.local_time_zone = LocalTimeZone::default();
                        }
                    }
                    None => {
                        self.options.clear();
                        self.settings.state_ttl_ms = None;
                        self.settings.source_idle_timeout_ms = None;
                        self.settings.interval_join_min_cleanup_ms = 0;
                        self.settings.watermark_every_row = false;
                        self.settings.local_time_zone = LocalTimeZone::default();
                    }
                }
                out.message("[INFO] Execute statement succeeded.");
            }
            Statement::Insert(insert) => self.run_inserts(std::slice::from_ref(insert), out)?,
            Statement::StatementSet(inserts) => {
                let inserts: Vec<Insert> = inserts.iter().map(|i| i.node.clone()).collect();
                self.run_inserts(&inserts, out)?;
            }
            Statement::Query(query) => self.run_query(query, out)?,
            Statement::Quit => {}
        }
        Ok(())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        crate::job_options::check(key, value)?;
        if key == crate::job_options::STATE_TTL {
            self.settings.state_ttl_ms = crate::job_options::state_ttl_ms(|_| Some(value.to_string()))?;
        }
        if key == crate::job_options::SOURCE_IDLE_TIMEOUT {
            let ms = crate::job_options::parse_duration_ms(value).map_err(SqlError::option)?;
            self.settings.source_idle_timeout_ms = (ms > 0).then_some(ms);
        }
        if key == crate::job_options::INTERVAL_JOIN_MIN_CLEANUP {
            let ms = crate::job_options::parse_duration_ms(value).map_err(SqlError::option)?;
            self.settings.interval_join_min_cleanup_ms = ms.max(0);
        }
        if key == crate::job_options::AUTO_WATERMARK_INTERVAL {
            let ms = crate::job_options::parse_duration_ms(value).map_err(SqlError::option)?;
            self.settings.watermark_every_row = ms == 0;
        }
        if key == "parallelism.default" {
            self.settings.parallelism = value.parse::<usize>().ok().filter(|p| *p > 0).ok_or_else(|| {
                SqlError::option(format!("'parallelism.default' must be a positive number, not '{value}'"))
            })?;
        }
        if key == "pipeline.max-parallelism" {
            self.settings.max_parallelism = value.parse::<usize>().ok().filter(|p| *p > 0).ok_or_else(|| {
                SqlError::option(format!("'pipeline.max-parallelism' must be positive, not '{value}'"))
            })?;
        }
        if key == "table.local-time-zone" {
            self.settings.local_time_zone = LocalTimeZone::parse(value).map_err(SqlError::option)?;
        }
        if key == crate::connectors::sink_conversion::NOT_NULL_ENFORCER {
            crate::connectors::sink_conversion::NotNullEnforcer::parse(value)?;
        }
        // Both values cut and pad alike in Flink 2.3: its cast to a sink's CHAR(n) / VARCHAR(n)
        // already does, so the option changes nothing there nor here; only its value is checked.
        if key == "table.exec.sink.type-length-enforcer"
            && !matches!(value.trim().to_uppercase().as_str(), "IGNORE" | "TRIM_PAD")
        {
            return Err(SqlError::option(format!(
                "Could not parse value '{value}' for key '{key}'. Possible values: [IGNORE, TRIM_PAD]"
            )));
        }
        self.options.insert(key.to_string(), value.to_string());
        Ok(())
    }

    /// The table `name` (`t`, `db.t` or `cat.db.t`), or the planner's error for an unknown
    /// relation.
    fn existing_table(&self, name: &sqlparser::ast::ObjectName) -> Result<&Arc<TableDef>> {
        let path = self.catalog.path(name)?;
        self.catalog
            .table_at(&path)
            .ok_or_else(|| crate::planner::unknown_relation_at(&self.catalog, &path, name.0.len()))
    }

    /// The table an `ALTER TABLE` changes, with Flink's errors for a missing one or a view.
    fn altered_table(&self, name: &sqlparser::ast::ObjectName) -> Result<(ObjectPath, Arc<TableDef>)> {
        let path = self.catalog.path(name)?;
        if self.catalog.view_at(&path).is_some() {
            return Err(SqlError::validation("ALTER TABLE for a view is not allowed"));
        }
        let table = self.catalog.table_at(&path).cloned().ok_or_else(|| {
            SqlError::validation(format!("Table {} doesn't exist or is a temporary table.", path.quoted()))
        })?;
        Ok((path, table))
    }

    fn table_def(&self, create: &CreateTable) -> Result<TableDef> {
        let name = object_name(&create.name)?;
        let like = match &create.like {
            Some(like) => Some(LikeMerging::new(&like.options)?),
            None => None,
        };
        let mut table = match (&create.like, &like) {
            (Some(clause), Some(merging)) => {
                let base = self.existing_table(&clause.source)?.as_ref().clone();
                let kept = |feature: &str| merging.strategy(feature) != "EXCLUDING";
                TableDef {
                    name: name.clone(),
                    columns: base
                        .columns
                        .iter()
                        .filter(|c| match c.source {
                            ColumnSource::Physical => true,
                            ColumnSource::Computed(_) => kept("GENERATED"),
                            ColumnSource::Metadata { .. } => kept("METADATA"),
                        })
                        .cloned()
                        .collect(),
                    watermark: if kept("WATERMARKS") { base.watermark.clone() } else { None },
                    primary_key: if kept("CONSTRAINTS") { base.primary_key.clone() } else { Vec::new() },
                    // Flink 2.3 keeps the base's PARTITIONED BY even under EXCLUDING PARTITIONS
                    // or EXCLUDING ALL (its SHOW CREATE TABLE prints it); only the derived
                    // table's own list replaces it.
                    partitioned_by: base.partitioned_by.clone(),
                    options: if kept("OPTIONS") { base.options.clone() } else { BTreeMap::new() },
                    comment: base.comment.clone(),
                    read_columns: None,
                }
            }
            _ => TableDef {
                name: name.clone(),
                columns: Vec::new(),
                watermark: None,
                primary_key: Vec::new(),
                partitioned_by: Vec::new(),
                options: BTreeMap::new(),
                comment: None,
                read_columns: None,
            },
        };
        let inherited = table.columns.len();
        for c in &create.columns {
            let column = alter_table::column_of(c);
            match table.columns.iter().position(|t| t.name == c.name.value) {
                None => table.columns.push(column),
                Some(at) if at < inherited => {
                    let merging = like.as_ref().expect("inherited columns come from LIKE");
                    table.columns[at] = merging.column(&table.columns[at], column)?;
                }
                Some(_) => {
                    return Err(SqlError::validation(format!(
                        "Column '{}' is declared twice in '{name}'",
                        c.name.value
                    )))
                }
            }
        }
        // One metadata key feeds one column (Flink's rule; others may compute from it).
        let mut keys: Vec<(&str, &str)> = Vec::new();
        for c in &table.columns {
            if let ColumnSource::Metadata { key, .. } = &c.source {
                if let Some((first, _)) = keys.iter().find(|(_, k)| k == key) {
                    return Err(SqlError::validation(format!(
                        "The column `{first}` and `{}` in the table are both from the same metadata key '{key}'. \
                         Please specify one of the columns as the metadata column and use the computed column \
                         syntax to specify the others.",
                        c.name
                    )));
                }
                keys.push((&c.name, key));
            }
        }
        // Computed columns: typed by planning them over the other columns.
        let computed: Vec<usize> = (0..table.columns.len())
            .filter(|i| matches!(table.columns[*i].source, ColumnSource::Computed(_)))
            .collect();
        if !computed.is_empty() {
            let plan = computed_columns_plan(&table, self.settings.function_config())?;
            for (i, field) in plan.schema().fields().iter().enumerate() {
                let ty = FlinkType::from_arrow(field.data_type(), field.is_nullable()).ok_or_else(|| {
                    SqlError::unsupported(format!(
                        "Column '{}' has a type Weir cannot hold: {}",
                        field.name(),
                        field.data_type()
                    ))
                })?;
                table.columns[i].ty = ty;
            }
        }
        if let Some(w) = &create.watermark {
            let column = table.column(&w.column.value).ok_or_else(|| {
                SqlError::validation(format!(
                    "The rowtime column '{}' of the WATERMARK is not a column of '{name}'",
                    w.column.value
                ))
            })?;
            if !matches!(column.ty.kind, crate::types::TypeKind::Timestamp(p) | crate::types::TypeKind::TimestampLtz(p) if p <= 3)
            {
                return Err(SqlError::validation(format!(
                    "Invalid data type of time field for watermark definition. The field must be of type TIMESTAMP(p) \
                     or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the time field type is {}",
                    column.ty
                )));
            }
            if let (Some(merging), Some((base, _))) = (&like, &table.watermark) {
                if *base == w.column.value && merging.strategy("WATERMARKS") == "INCLUDING" {
                    return Err(SqlError::validation(format!(
                        "There already exists a watermark spec for column '{base}' in the base table. You might \
                         want to specify EXCLUDING WATERMARKS or OVERWRITING WATERMARKS."
                    )));
                }
            }
            table.watermark = Some((w.column.value.clone(), w.expr.clone()));
        }
        if !create.primary_key.is_empty() {
            if like.is_some() && !table.primary_key.is_empty() {
                return Err(SqlError::validation(
                    "The base table already has a primary key. You might want to specify EXCLUDING CONSTRAINTS.",
                ));
            }
            table.primary_key = create.primary_key.iter().map(|i| i.value.clone()).collect();
        }
        for k in &table.primary_key {
            if table.column(k).is_none() {
                return Err(SqlError::validation(format!("Primary key column '{k}' is not a column of '{name}'")));
            }
        }
        if !create.partitioned_by.is_empty() {
            if like.as_ref().is_some_and(|m| m.strategy("PARTITIONS") == "INCLUDING")
                && !table.partitioned_by.is_empty()
            {
                return Err(SqlError::validation(
                    "The base table already has partitions defined. You might want to specify EXCLUDING PARTITIONS.",
                ));
            }
            table.partitioned_by = create.partitioned_by.iter().map(|i| i.value.clone()).collect();
        }
        for (k, v) in &create.options {
            if like.as_ref().is_some_and(|m| m.strategy("OPTIONS") == "INCLUDING") {
                if let Some(base) = table.options.get(k) {
                    // Flink's words, its two blanks included.
                    return Err(SqlError::validation(format!(
                        "There already exists an option ['{k}' -> '{base}']  in the base table. You might want to \
                         specify EXCLUDING OPTIONS or OVERWRITING OPTIONS."
                    )));
                }
            }
            table.options.insert(k.clone(), v.clone());
        }
        if let Some(options) = self.table_options.get(&name) {
            table.options = options.clone();
        }
        if create.comment.is_some() {
            table.comment = create.comment.clone();
        }
        crate::connectors::validate_table(&table)?;
        Ok(table)
    }

    fn describe(&self, path: &ObjectPath) -> Result<String> {
        let (header, rows) = self.describe_rows(path)?;
        Ok(table_text(header, &rows))
    }

    /// The columns of `DESCRIBE` (and `SHOW COLUMNS`): the header and a row per column.
    fn describe_rows(&self, path: &ObjectPath) -> Result<(&'static [&'static str], Vec<Vec<String>>)> {
        if let Some(t) = self.catalog.table_at(path) {
            let rows: Vec<Vec<String>> = t
                .columns
                .iter()
                .map(|c| {
                    let mut ty = FlinkType { nullable: true, ..c.ty.clone() }.to_string();
                    if t.watermark.as_ref().is_some_and(|(col, _)| *col == c.name) {
                        ty.push_str(" *ROWTIME*");
                    }
                    if crate::planner::time_attribute::is_proctime_column(c) {
                        ty.push_str(" *PROCTIME*");
                    }
                    let extras = match &c.source {
                        ColumnSource::Physical => String::new(),
                        ColumnSource::Computed(e) => format!("AS {e}"),
                        ColumnSource::Metadata { key, is_virtual } => {
                            format!("METADATA FROM '{key}'{}", if *is_virtual { " VIRTUAL" } else { "" })
                        }
                    };
                    let key = if t.primary_key.contains(&c.name) {
                        format!("PRI({})", t.primary_key.join(", "))
                    } else {
                        String::new()
                    };
                    let watermark = match &t.watermark {
                        Some((col, e)) if *col == c.name => e.to_string(),
                        _ => String::new(),
                    };
                    vec![c.name.clone(), ty, c.ty.nullable.to_string().to_uppercase(), key, extras, watermark]
                })
                .collect();
            return Ok((&["name", "type", "null", "key", "extras", "watermark"], rows));
        }
        if let Some(v) = self.catalog.view_at(path) {
            let rows: Vec<Vec<String>> = v
                .plan
                .schema()
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let mut ty = FlinkType::from_arrow(f.data_type(), true)
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| f.data_type().to_string());
                    if crate::planner::time_attribute::is_proctime(&v.plan, i) {
                        ty.push_str(" *PROCTIME*");
                    }
                    vec![f.name().clone(), ty, f.is_nullable().to_string().to_uppercase()]
                })
                .collect();
            return Ok((&["name", "type", "null"], rows));
        }
        Err(SqlError::validation(format!("Tables or views with the identifier '{path}' doesn't exist.")))
    }

    fn explain(&self, query: &Query) -> Result<String> {
        let plan = crate::planner::plan_query_in(&self.catalog, query, self.settings.function_config())?;
        let env = StreamExecutionEnvironment::new().with_parallelism(self.settings.parallelism);
        let stream = self.translate(&env, &plan)?;
        stream.data.sink_to(weir_connectors::sink::BlackholeSink::new(), "Sink");
        let physical = env.explain().map_err(|e| SqlError::new(ErrorKind::Execution, e.to_string()))?;
        Ok(format!(
            "== Optimized Logical Plan ==\n{}\n\n== Changelog ==\n{}\n\n== Physical Execution Plan ==\n{physical}",
            plan.display_indent(),
            if stream.updating { "updating (+I, -U, +U, -D)" } else { "insert-only (+I)" }
        ))
    }

    fn translate(&self, env: &StreamExecutionEnvironment, plan: &LogicalPlan) -> Result<Stream> {
        Ok(self.translate_statement(env, plan, 0)?.0)
    }

    /// The stream of `plan`, the `statement`th of its job, and why its operators cannot be
    /// checkpointed (empty when they can).
    fn translate_statement(
        &self,
        env: &StreamExecutionEnvironment,
        plan: &LogicalPlan,
        statement: usize,
    ) -> Result<(Stream, Vec<String>)> {
        let settings = self.settings.clone();
        let open = move |table: &TableDef| crate::connectors::open_source(env, table, &settings);
        let translator = Translator::new(env, self.settings.parallelism, self.settings.max_parallelism, &open)
            .with_state_ttl(self.settings.state_ttl_ms)
            .with_interval_join_min_cleanup(self.settings.interval_join_min_cleanup_ms)
            .with_uid_prefix(format!("sql-{statement}-"));
        let stream = translator.translate(plan)?;
        Ok((stream, translator.not_checkpointable()))
    }

    fn env(&self) -> StreamExecutionEnvironment {
        let env = StreamExecutionEnvironment::new()
            .with_parallelism(self.settings.parallelism)
            .with_max_parallelism(self.settings.max_parallelism);
        match &self.clock {
            Some(clock) => env.with_clock(clock.clone()),
            None => env,
        }
    }

    fn run_inserts(&mut self, inserts: &[Insert], out: &mut dyn ResultSink) -> Result<()> {
        let checkpointing =
            crate::job_options::checkpoint_settings(self.checkpointing.as_ref(), |k| self.options.get(k).cloned())?;
        let mut env = self.env();
        if let Some(c) = &checkpointing {
            env = env.enable_checkpointing(c.clone());
        }
        if let Some(r) = &self.restart_strategy {
            env = env.with_restart_strategy(r.clone());
        }
        for (statement, insert) in inserts.iter().enumerate() {
            let table = self.existing_table(&insert.table)?.clone();
            let plan = crate::planner::plan_query_in(&self.catalog, &insert.query, self.settings.function_config())?;
            let (stream, blockers) = self.translate_statement(&env, &plan, statement)?;
            if checkpointing.is_some() && !blockers.is_empty() {
                return Err(SqlError::unsupported(format!(
                    "This job cannot be checkpointed: {}. Run it without checkpointing \
                     ('execution.checkpointing.interval' unset, no --checkpoint-dir).",
                    blockers.join("; ")
                )));
            }
            let enforcer = match self.options.get(crate::connectors::sink_conversion::NOT_NULL_ENFORCER) {
                Some(v) => crate::connectors::sink_conversion::NotNullEnforcer::parse(v)?,
                None => Default::default(),
            };
            let mut stream = crate::connectors::conform_to_sink(stream, &table, &insert.columns, enforcer)?;
            let rows = self.rows_written.clone();
            let counted = stream.data.map(move |c: Changes| {
                rows.fetch_add(c.len() as u64, std::sync::atomic::Ordering::Relaxed);
                c
            });
            stream.data = crate::stream::translate::beside(&stream.data, counted);
            crate::connectors::add_sink(&env, stream, &table, &self.settings)?;
        }
        let failed = |e: weir_runtime::JobError| SqlError::new(ErrorKind::Execution, e.to_string());
        let result = match (&checkpointing, &mut self.job_started) {
            (Some(_), Some(started)) => {
                let (control, job) = env.execute_async("insert-into").map_err(failed)?;
                started(control);
                job.join()
                    .map_err(|_| SqlError::new(ErrorKind::Execution, "the job thread panicked"))?
                    .map_err(failed)?
            }
            _ => env.execute("insert-into").map_err(failed)?,
        };
        self.last_job = Some(result);
        out.message("[INFO] Job finished.");
        Ok(())
    }

    fn run_query(&mut self, query: &Query, out: &mut dyn ResultSink) -> Result<()> {
        let env = self.env();
        let plan = crate::planner::plan_query_in(&self.catalog, query, self.settings.function_config())?;
        let stream = self.translate(&env, &plan)?;
        let names: Vec<String> = stream.schema.fields().iter().map(|f| f.name().clone()).collect();
        let rows = crate::connectors::collect_changes(&stream.data, self.settings.local_time_zone);
        env.execute("select").map_err(|e| SqlError::new(ErrorKind::Execution, e.to_string()))?;
        out.columns(&names);
        for (kind, values) in rows.take().into_iter().flatten() {
            out.change(kind, &values);
        }
        Ok(())
    }
}

/// How `CREATE TABLE … LIKE base (…)` merges each feature of the base table, as Flink's
/// `MergeTableLikeUtil` decides it: the defaults (`INCLUDING` everything, `OVERWRITING
/// OPTIONS`), then each written option in order, `… ALL` setting every feature and a later
/// specific one overriding it (`EXCLUDING ALL INCLUDING WATERMARKS`).
struct LikeMerging {
    /// `(feature, strategy)` for CONSTRAINTS, GENERATED, METADATA, OPTIONS, PARTITIONS and
    /// WATERMARKS.
    strategies: [(&'static str, String); 6],
}

impl LikeMerging {
    const FEATURES: [&'static str; 6] = ["CONSTRAINTS", "GENERATED", "METADATA", "OPTIONS", "PARTITIONS", "WATERMARKS"];

    fn new(options: &[(String, String)]) -> Result<Self> {
        let mut strategies = Self::FEATURES
            .map(|f| (f, if f == "OPTIONS" { "OVERWRITING".to_string() } else { "INCLUDING".to_string() }));
        for (strategy, feature) in options {
            if strategy == "OVERWRITING" && matches!(feature.as_str(), "ALL" | "CONSTRAINTS" | "PARTITIONS") {
                return Err(SqlError::validation(format!(
                    "Illegal merging strategy 'OVERWRITING' for '{feature}' option."
                )));
            }
            for (f, s) in &mut strategies {
                if feature == "ALL" || f == feature {
                    *s = strategy.clone();
                }
            }
        }
        Ok(LikeMerging { strategies })
    }

    /// `INCLUDING`, `EXCLUDING` or `OVERWRITING` for `feature`.
    fn strategy(&self, feature: &str) -> &str {
        self.strategies.iter().find(|(f, _)| *f == feature).map_or("INCLUDING", |(_, s)| s.as_str())
    }

    /// The column a derived table's `derived` makes of the base's `base` of the same name: a
    /// computed or metadata column replaces its like under `OVERWRITING`; anything else is
    /// refused with Flink's message.
    fn column(&self, base: &Column, derived: Column) -> Result<Column> {
        let (kind, feature) = match (&base.source, &derived.source) {
            (ColumnSource::Computed(_), ColumnSource::Computed(_)) => ("generated", "GENERATED"),
            (ColumnSource::Metadata { .. }, ColumnSource::Metadata { .. }) => ("metadata", "METADATA"),
            _ => {
                return Err(SqlError::validation(format!(
                    "A column named '{}' already exists in the base table.",
                    base.name
                )))
            }
        };
        if self.strategy(feature) == "OVERWRITING" {
            return Ok(derived);
        }
        Err(SqlError::validation(format!(
            "A {kind} column named '{}' already exists in the base table. You might want to specify EXCLUDING \
             {feature} or OVERWRITING {feature}.",
            base.name
        )))
    }
}

/// A plan that computes every column of `table` from its physical and metadata columns.
fn computed_columns_plan(table: &TableDef, functions: FunctionConfig) -> Result<LogicalPlan> {
    let mut base = table.clone();
    base.columns.retain(|c| !matches!(c.source, ColumnSource::Computed(_)));
    let select: Vec<String> = table
        .columns
        .iter()
        .map(|c| match &c.source {
            ColumnSource::Computed(e) => format!("{e} AS `{}`", c.name.replace('`', "``")),
            _ => format!("`{}`", c.name.replace('`', "``")),
        })
        .collect();
    let (catalog, query) = select_over(base, &select.join(", "))?;
    crate::planner::plan_query_in(&catalog, &query, functions)
}

/// `SELECT select FROM t` over a catalog holding only `table` (without its watermark) as
/// `t`: how a table's own expressions are planned.
fn select_over(mut table: TableDef, select: &str) -> Result<(Catalog, Box<Query>)> {
    table.name = "__table".into();
    table.watermark = None;
    let mut catalog = Catalog::default();
    catalog.create_table(table, false)?;
    match crate::parser::parse_statement(&format!("SELECT {select} FROM __table"))?.node {
        Statement::Query(q) => Ok((catalog, q)),
        _ => Err(SqlError::validation(format!("Bad expression '{select}'"))),
    }
}

/// The stream of `table`'s columns, computed columns included, from its physical stream.
pub(crate) fn with_computed_columns(
    env: &StreamExecutionEnvironment,
    table: &TableDef,
    physical: DataStream<Changes>,
    settings: &JobSettings,
) -> Result<DataStream<Changes>> {
    if !table.columns.iter().any(|c| matches!(c.source, ColumnSource::Computed(_))) {
        return Ok(physical);
    }
    let plan = computed_columns_plan(table, settings.function_config())?;
    let open = move |_: &TableDef| Ok(physical.clone());
    let translator = Translator::new(env, settings.parallelism, settings.max_parallelism, &open);
    Ok(translator.translate(&plan)?.data)
}

/// The watermark expression of `table` as a physical expression over its full schema.
pub(crate) fn watermark_expr(
    table: &TableDef,
    functions: FunctionConfig,
) -> Result<Option<(usize, Arc<dyn datafusion_physical_expr::PhysicalExpr>)>> {
    let Some((column, expr)) = &table.watermark else { return Ok(None) };
    let mut base = table.clone();
    for c in &mut base.columns {
        c.source = ColumnSource::Physical;
    }
    let (catalog, query) = select_over(base, &expr.to_string())?;
    let context = crate::planner::PlanContext::with_functions(&catalog, functions);
    let plan = context.plan_query(&query)?;
    let plan = datafusion_optimizer::analyzer::Analyzer::new()
        .execute_and_check(plan, context.options(), |_, _| {})
        .map_err(crate::planner::plan_error)?;
    let LogicalPlan::Projection(p) = &plan else {
        return Err(SqlError::validation(format!("Bad watermark expression '{expr}'")));
    };
    let field = p.schema.field(0);
    if !matches!(field.data_type(), arrow::datatypes::DataType::Timestamp(..)) {
        return Err(SqlError::validation(format!(
            "The watermark expression '{expr}' must be a TIMESTAMP, not {}",
            field.data_type()
        )));
    }
    let watermark = crate::planner::fixed_intervals::fixed_intervals(&p.expr[0], p.input.schema());
    let physical = datafusion_physical_expr::create_physical_expr(
        &watermark,
        p.input.schema().as_ref(),
        &datafusion_expr::execution_props::ExecutionProps::new(),
        &datafusion_expr::physical_planning_context::PhysicalPlanningContext::default(),
    )
    .map_err(crate::planner::plan_error)?;
    let rowtime = table.columns.iter().position(|c| c.name == *column).expect("checked at creation");
    Ok(Some((rowtime, physical)))
}

/// A table as Flink's client prints one: `+----+` borders, padded cells.
pub fn table_text(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let border = format!("+{}+", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+"));
    let line = |cells: Vec<&str>| {
        format!(
            "|{}|",
            cells.iter().zip(&widths).map(|(c, w)| format!(" {c:>w$} ", w = *w)).collect::<Vec<_>>().join("|")
        )
    };
    let mut out = vec![border.clone(), line(header.to_vec()), border.clone()];
    for r in rows {
        out.push(line(r.iter().map(String::as_str).collect()));
    }
    out.push(border);
    out.push(format!("{} row{} in set", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;

    impl ResultSink for Quiet {
        fn row(&mut self, _: &str) {}
        fn message(&mut self, _: &str) {}
    }

    /// `table.exec.interval-join.min-cleanup-interval` reaches the job settings (and from
    /// them the translator's interval joins), is checked as a duration, and RESET clears it.
    #[test]
    fn the_interval_join_cleanup_interval_is_set_checked_and_reset() {
        let mut session = Session::new(JobSettings::default());
        let key = crate::job_options::INTERVAL_JOIN_MIN_CLEANUP;
        session.execute_script(&format!("SET '{key}' = '10 s';"), &mut Quiet).unwrap();
        assert_eq!(session.settings.interval_join_min_cleanup_ms, 10_000);
        let e = session.execute_script(&format!("SET '{key}' = 'soon';"), &mut Quiet).unwrap_err();
        assert!(e.to_string().contains(key), "{e}");
        assert_eq!(session.settings.interval_join_min_cleanup_ms, 10_000, "a refused value changes nothing");
        session.execute_script(&format!("RESET '{key}';"), &mut Quiet).unwrap();
        assert_eq!(session.settings.interval_join_min_cleanup_ms, 0);
        session.execute_script(&format!("SET '{key}' = '1 min'; RESET;"), &mut Quiet).unwrap();
        assert_eq!(session.settings.interval_join_min_cleanup_ms, 0);
    }
}
