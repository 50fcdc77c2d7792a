//! Shared machinery: one table-driven [`ScalarUDFImpl`] ([`FlinkScalar`]) with Flink-style argument
//! coercion, and small helpers for reading argument arrays row by row.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayAccessor, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit};
use chrono::FixedOffset;

use super::time_zone::LocalTimeZone;
use datafusion_common::{exec_err, plan_err, Result, ScalarValue};
use datafusion_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion_expr::type_coercion::binary::type_union_resolution;
use datafusion_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

/// Session settings the functions depend on: today the session time zone (Flink's
/// `table.local-time-zone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FunctionConfig {
    /// The session time zone.
    pub zone: LocalTimeZone,
}

impl FunctionConfig {
    /// Session time zone UTC.
    pub fn utc() -> Self {
        Self::default()
    }

    /// Session time zone given as a fixed offset.
    pub fn with_offset(offset: FixedOffset) -> Self {
        FunctionConfig { zone: LocalTimeZone::Fixed(offset.local_minus_utc()) }
    }

    /// Session time zone `zone`.
    pub fn with_zone(zone: LocalTimeZone) -> Self {
        FunctionConfig { zone }
    }
}

/// What an argument position accepts, and what it is coerced to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Character string → `Utf8` (numbers, booleans and temporals are cast to text).
    Str,
    /// Exact integer → `Int64`.
    Int,
    /// Any number → `Float64`.
    Float,
    /// Boolean.
    Bool,
    /// Number, kept in its own type (NULL literal → `Int64`).
    Num,
    /// DATE or TIMESTAMP (any unit, with or without zone); strings and dates → `Timestamp(ms)`.
    Time,
    /// A string or a DATE/TIMESTAMP (kept as is).
    StrOrTime,
    /// Character or binary string: BINARY/VARBINARY → `Binary`, anything else as [`Kind::Str`]
    /// (read with [`map_bytes`]).
    Bytes,
    /// Anything, unchanged.
    Any,
    /// All `Common` positions are coerced to one common type (the branches of `IF`).
    Common,
}

pub(crate) type EvalFn = fn(&FlinkScalar, &[ArrayRef], usize) -> Result<ArrayRef>;
pub(crate) type RetFn = fn(&[DataType]) -> Result<DataType>;
pub(crate) type SimplifyFn = fn(Vec<Expr>) -> Result<ExprSimplifyResult>;

/// A Flink built-in scalar function: a name, per-position argument kinds, a return-type rule and a
/// row-wise evaluation over arrays (scalars are evaluated as 1-row arrays).
pub struct FlinkScalar {
    name: &'static str,
    signature: Signature,
    min_args: usize,
    max_args: usize,
    kinds: &'static [Kind],
    ret: RetFn,
    eval: EvalFn,
    simplify: Option<SimplifyFn>,
    /// Session settings (time zone).
    pub(crate) cfg: FunctionConfig,
}

impl fmt::Debug for FlinkScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlinkScalar").field("name", &self.name).finish()
    }
}

impl PartialEq for FlinkScalar {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.cfg == other.cfg
    }
}
impl Eq for FlinkScalar {}
impl Hash for FlinkScalar {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        self.cfg.hash(state);
    }
}

/// Builds a [`FlinkScalar`]; `kinds` gives the kind of each position, the last one repeating.
pub(crate) fn func(
    name: &'static str,
    args: (usize, usize),
    kinds: &'static [Kind],
    ret: RetFn,
    eval: EvalFn,
) -> FlinkScalar {
    let volatility = Volatility::Immutable;
    FlinkScalar {
        name,
        signature: signature(args.0, volatility),
        min_args: args.0,
        max_args: args.1,
        kinds,
        ret,
        eval,
        simplify: None,
        cfg: FunctionConfig::default(),
    }
}

fn signature(min_args: usize, volatility: Volatility) -> Signature {
    if min_args == 0 {
        Signature::one_of(vec![TypeSignature::Nullary, TypeSignature::UserDefined], volatility)
    } else {
        Signature::user_defined(volatility)
    }
}

impl FlinkScalar {
    /// Marks the function volatile (random, current time).
    pub(crate) fn volatile(mut self) -> Self {
        self.signature = signature(self.min_args, Volatility::Volatile);
        self
    }

    /// Adds a logical rewrite (used by `IF` to become a lazy `CASE`).
    pub(crate) fn with_simplify(mut self, f: SimplifyFn) -> Self {
        self.simplify = Some(f);
        self
    }

    /// Sets the session configuration.
    pub(crate) fn with_cfg(mut self, cfg: FunctionConfig) -> Self {
        self.cfg = cfg;
        self
    }

    /// The function's name.
    pub(crate) fn static_name(&self) -> &'static str {
        self.name
    }

    /// Wraps into a shared [`ScalarUDF`].
    pub(crate) fn udf(self) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(self))
    }

    fn targets(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        if types.len() < self.min_args || types.len() > self.max_args {
            return plan_err!(
                "function {} expects {} to {} arguments, got {}",
                self.name,
                self.min_args,
                if self.max_args == usize::MAX { "any number of".to_string() } else { self.max_args.to_string() },
                types.len()
            );
        }
        let kind_of = |i: usize| self.kinds.get(i).or(self.kinds.last()).copied().unwrap_or(Kind::Any);
        let common: Vec<DataType> =
            types.iter().enumerate().filter(|(i, _)| kind_of(*i) == Kind::Common).map(|(_, t)| t.clone()).collect();
        let common = if common.is_empty() {
            None
        } else {
            match type_union_resolution(&common) {
                Some(t) => Some(t),
                None => return plan_err!("function {}: no common type for {common:?}", self.name),
            }
        };
        types
            .iter()
            .enumerate()
            .map(|(i, t)| match (kind_of(i), &common) {
                (Kind::Common, Some(c)) => Ok(c.clone()),
                (kind, _) => coerce(self.name, kind, t),
            })
            .collect()
    }
}

fn is_str(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_temporal(t: &DataType) -> bool {
    matches!(t, DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64)
}

fn coerce(name: &str, kind: Kind, t: &DataType) -> Result<DataType> {
    use DataType::*;
    let ok = match kind {
        Kind::Any | Kind::Common => Some(t.clone()),
        Kind::Str => Some(Utf8),
        Kind::Bytes => match t {
            Binary | LargeBinary | BinaryView | FixedSizeBinary(_) | Null => Some(Binary),
            _ => Some(Utf8),
        },
        Kind::Int => (t.is_integer() || matches!(t, Null | Decimal128(_, 0) | Decimal256(_, 0))).then_some(Int64),
        Kind::Float => (t.is_numeric() || *t == Null).then_some(Float64),
        Kind::Bool => matches!(t, Boolean | Null).then_some(Boolean),
        Kind::Num => {
            if *t == Null {
                Some(Int64)
            } else {
                t.is_numeric().then(|| t.clone())
            }
        }
        Kind::Time => match t {
            Timestamp(_, _) => Some(t.clone()),
            Date32 | Date64 | Null => Some(Timestamp(TimeUnit::Millisecond, None)),
            _ if is_str(t) => Some(Timestamp(TimeUnit::Millisecond, None)),
            _ => None,
        },
        Kind::StrOrTime => {
            if is_temporal(t) {
                Some(t.clone())
            } else {
                Some(Utf8)
            }
        }
    };
    match ok {
        Some(t) => Ok(t),
        None => plan_err!("function {name}: argument of type {t} is not allowed where {kind:?} is expected"),
    }
}

impl ScalarUDFImpl for FlinkScalar {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        (self.ret)(&self.targets(arg_types)?)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.targets(arg_types)
    }

    fn simplify(&self, args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        match self.simplify {
            Some(f) => f(args),
            None => Ok(ExprSimplifyResult::Original(args)),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types: Vec<DataType> = args.args.iter().map(|a| a.data_type()).collect();
        let targets = self.targets(&types)?;
        let all_scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let mut arrays = Vec::with_capacity(args.args.len());
        for (arg, target) in args.args.into_iter().zip(targets.iter()) {
            let arg = if arg.data_type() == *target { arg } else { arg.cast_to(target, None)? };
            arrays.push(arg.into_array(rows)?);
        }
        let out = (self.eval)(self, &arrays, rows)?;
        let expected = args.return_field.data_type();
        let out = if out.data_type() != expected && *expected != DataType::Null {
            arrow::compute::cast(&out, expected)?
        } else {
            out
        };
        if all_scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Row access helpers
// ---------------------------------------------------------------------------------------------

/// The `Utf8` view of a coerced string argument.
pub(crate) fn strs(a: &ArrayRef) -> &StringArray {
    a.as_string::<i32>()
}

/// The `Int64` view of a coerced integer argument.
pub(crate) fn ints(a: &ArrayRef) -> &Int64Array {
    a.as_primitive::<Int64Type>()
}

/// The `Float64` view of a coerced floating argument.
pub(crate) fn floats(a: &ArrayRef) -> &Float64Array {
    a.as_primitive::<Float64Type>()
}

/// The boolean view of a coerced boolean argument.
pub(crate) fn bools(a: &ArrayRef) -> &BooleanArray {
    a.as_boolean()
}

/// Row `i` of an array, `None` when NULL.
pub(crate) fn get<A: ArrayAccessor>(a: A, i: usize) -> Option<A::Item> {
    if a.is_valid(i) {
        Some(a.value(i))
    } else {
        None
    }
}

/// Collects row results into a `Utf8` array.
pub(crate) fn str_rows(rows: usize, mut f: impl FnMut(usize) -> Result<Option<String>>) -> Result<ArrayRef> {
    let v: Result<Vec<Option<String>>> = (0..rows).map(&mut f).collect();
    Ok(Arc::new(StringArray::from(v?)))
}

/// Collects row results that borrow from the arguments into a `Utf8` array, without a
/// `String` per row.
pub(crate) fn str_rows_ref<'a>(rows: usize, mut f: impl FnMut(usize) -> Result<Option<&'a str>>) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(rows, 0);
    for i in 0..rows {
        out.append_option(f(i)?);
    }
    Ok(Arc::new(out.finish()))
}

/// Collects row results into a `Utf8` array, each written by `f` into one reused buffer
/// (cleared before each row); `f` returns whether the row has a value (else NULL).
pub(crate) fn str_rows_buf(rows: usize, mut f: impl FnMut(usize, &mut String) -> Result<bool>) -> Result<ArrayRef> {
    let mut out = StringBuilder::with_capacity(rows, 0);
    let mut buf = String::new();
    for i in 0..rows {
        buf.clear();
        if f(i, &mut buf)? {
            out.append_value(&buf);
        } else {
            out.append_null();
        }
    }
    Ok(Arc::new(out.finish()))
}

/// Collects row results into an `Int64` array.
pub(crate) fn i64_rows(rows: usize, mut f: impl FnMut(usize) -> Result<Option<i64>>) -> Result<ArrayRef> {
    let v: Result<Vec<Option<i64>>> = (0..rows).map(&mut f).collect();
    Ok(Arc::new(Int64Array::from(v?)))
}

/// Collects row results into a `Float64` array.
pub(crate) fn f64_rows(rows: usize, mut f: impl FnMut(usize) -> Result<Option<f64>>) -> Result<ArrayRef> {
    let v: Result<Vec<Option<f64>>> = (0..rows).map(&mut f).collect();
    Ok(Arc::new(Float64Array::from(v?)))
}

/// Collects row results into a boolean array.
pub(crate) fn bool_rows(rows: usize, mut f: impl FnMut(usize) -> Result<Option<bool>>) -> Result<ArrayRef> {
    let v: Result<Vec<Option<bool>>> = (0..rows).map(&mut f).collect();
    Ok(Arc::new(BooleanArray::from(v?)))
}

/// Applies `f` to the first (string) argument; NULL in → NULL out.
pub(crate) fn map_str(args: &[ArrayRef], rows: usize, f: impl Fn(&str) -> Option<String>) -> Result<ArrayRef> {
    let a = strs(&args[0]);
    str_rows(rows, |i| Ok(get(a, i).and_then(&f)))
}

/// Applies `f` to the bytes of each non-NULL row of a [`Kind::Bytes`] argument (a string's
/// UTF-8 bytes).
pub(crate) fn map_bytes(args: &[ArrayRef], rows: usize, f: impl Fn(&[u8]) -> Option<String>) -> Result<ArrayRef> {
    match args[0].data_type() {
        DataType::Binary => {
            let a = args[0].as_binary::<i32>();
            str_rows(rows, |i| Ok(get(a, i).and_then(&f)))
        }
        _ => map_str(args, rows, |s| f(s.as_bytes())),
    }
}

/// Return-type rules usable as [`RetFn`].
pub(crate) fn ret_utf8(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Utf8)
}
pub(crate) fn ret_i64(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Int64)
}
pub(crate) fn ret_i32(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Int32)
}
pub(crate) fn ret_f64(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Float64)
}
pub(crate) fn ret_bool(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Boolean)
}
pub(crate) fn ret_first(t: &[DataType]) -> Result<DataType> {
    match t.first() {
        Some(t) => Ok(t.clone()),
        None => exec_err!("function needs an argument"),
    }
}

/// Regular expressions compiled on this thread, by pattern (Flink keeps such a cache per
/// thread too: `SqlFunctionUtils`' regex cache). Compiling a pattern costs far more than
/// matching a short string, and a query's patterns are usually literals: one per batch
/// without this.
const COMPILED_PER_THREAD: usize = 32;

thread_local! {
    static COMPILED: std::cell::RefCell<Vec<(String, Option<Rc<regex::Regex>>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `pattern` compiled, from this thread's cache; `None` when it does not compile.
fn compiled(pattern: &str) -> Option<Rc<regex::Regex>> {
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, re)) = cache.iter().find(|(p, _)| p == pattern) {
            return re.clone();
        }
        let re = regex::Regex::new(pattern).ok().map(Rc::new);
        if cache.len() == COMPILED_PER_THREAD {
            cache.remove(0);
        }
        cache.push((pattern.to_string(), re.clone()));
        re
    })
}

/// The pattern of the previous row and its compiled form, for regular expressions that are
/// usually constant across rows (compiled once per thread, see [`compiled`]).
#[derive(Default)]
pub(crate) struct RegexCache {
    last: Option<(String, Option<Compiled>)>,
}

/// A compiled pattern and room for its groups' positions, reused from row to row.
struct Compiled {
    regex: Rc<regex::Regex>,
    groups: regex::CaptureLocations,
}

impl RegexCache {
    fn entry(&mut self, pattern: &str) -> Option<&mut Compiled> {
        let hit = matches!(&self.last, Some((p, _)) if p == pattern);
        if !hit {
            let compiled = compiled(pattern).map(|regex| Compiled { groups: regex.capture_locations(), regex });
            self.last = Some((pattern.to_string(), compiled));
        }
        self.last.as_mut().and_then(|(_, c)| c.as_mut())
    }

    /// The compiled pattern, `None` when it does not compile (Flink logs and returns NULL/false).
    pub(crate) fn get(&mut self, pattern: &str) -> Option<&regex::Regex> {
        self.entry(pattern).map(|c| &*c.regex)
    }

    /// Group `group` (0: the whole match) of the first match of `pattern` in `s`; `None` when
    /// the pattern does not compile, nothing matches, or the group does not exist or takes no
    /// part in the match.
    pub(crate) fn group<'s>(&mut self, pattern: &str, s: &'s str, group: usize) -> Option<&'s str> {
        let c = self.entry(pattern)?;
        c.regex.captures_read(&mut c.groups, s)?;
        c.groups.get(group).map(|(start, end)| &s[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_cache_compiles_once_per_thread_and_keeps_failures() {
        let mut a = RegexCache::default();
        let first = a.get("a+b").map(|r| r as *const regex::Regex);
        let mut b = RegexCache::default();
        let again = b.get("a+b").map(|r| r as *const regex::Regex);
        assert!(first.is_some());
        assert_eq!(first, again, "the same compiled regex from the thread's cache");
        assert!(a.get("(").is_none());
        assert!(a.get("(").is_none());
        assert!(a.get("a+b").is_some_and(|r| r.is_match("xaab")));
    }

    #[test]
    fn regex_groups_as_captures_give_them() {
        let mut cache = RegexCache::default();
        let p = "(&|^)channel_id=([^&]*)";
        for s in ["a?x=1&channel_id=99&y", "channel_id=7", "channel_id=", "nothing", "&channel_id"] {
            let want = regex::Regex::new(p).unwrap().captures(s);
            for g in 0..4 {
                let want = want.as_ref().and_then(|c| c.get(g)).map(|m| m.as_str());
                assert_eq!(cache.group(p, s, g), want, "{s} group {g}");
            }
        }
        assert_eq!(cache.group("(a)|(b)", "b", 1), None, "a group outside the match");
        assert_eq!(cache.group("(", "(", 0), None, "a pattern that does not compile");
    }

    #[test]
    fn thread_cache_keeps_the_newest_patterns() {
        for i in 0..COMPILED_PER_THREAD + 5 {
            assert!(compiled(&format!("x{i}")).is_some_and(|r| r.is_match(&format!("ax{i}"))));
        }
        COMPILED.with(|c| assert_eq!(c.borrow().len(), COMPILED_PER_THREAD));
        assert!(compiled("x0").is_some_and(|r| r.is_match("x0")));
    }

    #[test]
    fn string_rows_from_borrowed_and_written_values() {
        let input = StringArray::from(vec![Some("a/b"), None, Some("c")]);
        let out = str_rows_ref(3, |i| Ok(get(&input, i).and_then(|s| s.split('/').nth(1)))).unwrap();
        assert_eq!(strs(&out).iter().collect::<Vec<_>>(), vec![Some("b"), None, None]);
        let out = str_rows_buf(3, |i, buf| {
            let Some(s) = get(&input, i) else { return Ok(false) };
            buf.push_str(s);
            buf.push('!');
            Ok(true)
        })
        .unwrap();
        assert_eq!(strs(&out).iter().collect::<Vec<_>>(), vec![Some("a/b!"), None, Some("c!")]);
    }
}
