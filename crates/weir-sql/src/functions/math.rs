//! Flink numeric, random and conditional functions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int32Array};
use arrow::datatypes::{DataType, Decimal128Type};
use datafusion_common::{exec_err, Result};
use datafusion_expr::simplify::ExprSimplifyResult;
use datafusion_expr::{Case, Expr, ScalarUDF};

use super::common::{
    bools, f64_rows, floats, func, get, i64_rows, ints, ret_f64, ret_first, ret_utf8, str_rows, strs, FlinkScalar, Kind,
};

/// Numeric, random and conditional functions.
pub(crate) fn udfs() -> Vec<Arc<ScalarUDF>> {
    use Kind::*;
    vec![
        // MOD(a, b): remainder with the sign of the dividend (Java `%`); integer division by zero is an error.
        func("mod", (2, 2), &[Num, Num], ret_mod, modulo),
        // POWER(a, b): a^b as DOUBLE (DataFusion's returns BIGINT for integers).
        func("power", (2, 2), &[Float], ret_f64, |_, a, n| {
            let (x, y) = (floats(&a[0]), floats(&a[1]));
            f64_rows(n, |i| Ok(get(x, i).zip(get(y, i)).map(|(x, y)| x.powf(y))))
        }),
        // LOG(x) = ln(x) (DataFusion: log10); LOG(b, x) = ln(x) / ln(b).
        func("log", (1, 2), &[Float], ret_f64, log),
        // RAND([seed]): DOUBLE in [0, 1) from java.util.Random (seeded: the Java sequence).
        func("rand", (0, 1), &[Int], ret_f64, rand).volatile(),
        // RAND_INTEGER([seed,] bound): INT in [0, bound) from java.util.Random.nextInt.
        func("rand_integer", (1, 2), &[Int], |_| Ok(DataType::Int32), rand_integer).volatile(),
        // BIN(n): Long.toBinaryString(n) (two's complement for negatives).
        func("bin", (1, 1), &[Int], ret_utf8, |_, a, n| {
            let x = ints(&a[0]);
            str_rows(n, |i| Ok(get(x, i).map(|v| format!("{:b}", v as u64))))
        }),
        // HEX(n | str): uppercase hex of a BIGINT (two's complement) or of a string's UTF-8 bytes.
        func("hex", (1, 1), &[Any], ret_utf8, hex),
        // CEIL / FLOOR(x): integers and floats keep their type; DECIMAL(p, s) becomes
        // DECIMAL(p - s + 1, 0) (DataFusion keeps the scale and can overflow).
        func("ceil", (1, 1), &[Num], ret_ceil_floor, ceil_floor),
        func("floor", (1, 1), &[Num], ret_ceil_floor, ceil_floor),
        // SIGN(x): -1, 0 or 1 in x's own type (INT for INT, DECIMAL(p, s) for DECIMAL(p, s)).
        func("sign", (1, 1), &[Num], ret_first, sign),
        // TRUNCATE(x [, d]) is in `rounding.rs`, with ROUND.
        // interval * n (Flink's `n * INTERVAL '1' DAY`; the planner rewrites the product to this call).
        func("interval_times", (2, 2), &[Any, Int], |t| Ok(t[0].clone()), interval_times),
        // GREATEST / LEAST(a, b, …): the largest / smallest argument, NULL if any is NULL
        // (DataFusion's skip NULLs).
        func("greatest", (1, usize::MAX), &[Common], ret_first, greatest_least),
        func("least", (1, usize::MAX), &[Common], ret_first, greatest_least),
        // a / b with a DECIMAL operand (the planner rewrites the division to this call).
        decimal_divide_fn(),
        // IF(cond, a, b): a when cond is TRUE, else b (NULL cond → b). Rewritten to a lazy CASE.
        func("if", (3, 3), &[Bool, Common], |t| Ok(t[1].clone()), if_eval).with_simplify(if_simplify),
    ]
    .into_iter()
    .map(FlinkScalar::udf)
    .collect()
}

/// Each part of an interval (months, days, nanoseconds) times an integer, with overflow an
/// error. The planner calls it for interval literals, which DataFusion types as
/// `Interval(MonthDayNano)`.
fn interval_times(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use arrow::array::IntervalMonthDayNanoArray;
    use arrow::datatypes::{IntervalMonthDayNano, IntervalUnit};
    let times = ints(&a[1]);
    let n = |i: usize| get(times, i);
    let overflow = || datafusion_common::DataFusionError::Execution("interval multiplication overflows".into());
    let mul32 = |x: i32, k: i64| i32::try_from(x as i64 * k).map_err(|_| overflow());
    let mul64 = |x: i64, k: i64| x.checked_mul(k).ok_or_else(overflow);
    Ok(match a[0].data_type() {
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let x = a[0].as_primitive::<arrow::datatypes::IntervalMonthDayNanoType>();
            let values = (0..rows)
                .map(|i| match (x.is_valid(i), n(i)) {
                    (true, Some(k)) => {
                        let v = x.value(i);
                        Ok(Some(IntervalMonthDayNano::new(
                            mul32(v.months, k)?,
                            mul32(v.days, k)?,
                            mul64(v.nanoseconds, k)?,
                        )))
                    }
                    _ => Ok(None),
                })
                .collect::<Result<Vec<_>>>()?;
            Arc::new(IntervalMonthDayNanoArray::from(values))
        }
        other => return exec_err!("an interval can be multiplied, not {other}"),
    })
}

fn ret_mod(t: &[DataType]) -> Result<DataType> {
    if let Some(t) = decimal_mod_type(&t[0], &t[1]) {
        return Ok(t);
    }
    Ok(if t[0].is_integer() && t[1].is_integer() { t[1].clone() } else { DataType::Float64 })
}

/// Flink's type of `MOD(a, b)` with a DECIMAL operand and an exact other one:
/// `DECIMAL(min(p1 - s1, p2 - s2) + s, s)` with `s = max(s1, s2)` (integers as Flink widens
/// them); `None` for other operands.
fn decimal_mod_type(a: &DataType, b: &DataType) -> Option<DataType> {
    if !matches!(a, DataType::Decimal128(_, _)) && !matches!(b, DataType::Decimal128(_, _)) {
        return None;
    }
    let ((p1, s1), (p2, s2)) = (as_decimal(a)?, as_decimal(b)?);
    let scale = s1.max(s2).max(0);
    let digits = (i16::from(p1) - i16::from(s1)).min(i16::from(p2) - i16::from(s2)).max(1);
    Some(DataType::Decimal128((digits + i16::from(scale)).min(38) as u8, scale))
}

/// `MOD` of DECIMALs computed exactly: both operands at the result's scale, the remainder
/// with the dividend's sign (Java's `BigDecimal.remainder`).
fn decimal_mod(a: &[ArrayRef], result: &DataType) -> Result<ArrayRef> {
    let DataType::Decimal128(precision, scale) = *result else { return exec_err!("a DECIMAL MOD") };
    let operand = |x: &ArrayRef| arrow::compute::cast(x, &DataType::Decimal128(38, scale));
    let (x, y) = (operand(&a[0])?, operand(&a[1])?);
    let (x, y) = (x.as_primitive::<Decimal128Type>(), y.as_primitive::<Decimal128Type>());
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        out.push(match (get(x, i), get(y, i)) {
            (Some(_), Some(0)) => return exec_err!("MOD: division by zero"),
            (Some(x), Some(y)) => Some(x % y),
            _ => None,
        });
    }
    Ok(Arc::new(arrow::array::Decimal128Array::from(out).with_precision_and_scale(precision, scale)?))
}

fn modulo(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    if let Some(t) = decimal_mod_type(a[0].data_type(), a[1].data_type()) {
        return decimal_mod(a, &t);
    }
    if a[0].data_type().is_integer() && a[1].data_type().is_integer() {
        let x = arrow::compute::cast(&a[0], &DataType::Int64)?;
        let y = arrow::compute::cast(&a[1], &DataType::Int64)?;
        let (x, y) = (ints(&x), ints(&y));
        return i64_rows(rows, |i| match (get(x, i), get(y, i)) {
            (Some(_), Some(0)) => exec_err!("MOD: division by zero"),
            (Some(x), Some(y)) => Ok(Some(x.wrapping_rem(y))),
            _ => Ok(None),
        });
    }
    let x = arrow::compute::cast(&a[0], &DataType::Float64)?;
    let y = arrow::compute::cast(&a[1], &DataType::Float64)?;
    let (x, y) = (floats(&x), floats(&y));
    f64_rows(rows, |i| Ok(get(x, i).zip(get(y, i)).map(|(x, y)| x % y)))
}

/// Name of the function a division with a DECIMAL operand is planned as.
pub const DECIMAL_DIVIDE: &str = "flink_decimal_divide";

fn decimal_divide_fn() -> FlinkScalar {
    func(DECIMAL_DIVIDE, (2, 2), &[Kind::Any], |t| decimal_division_type(&t[0], &t[1]), decimal_divide)
}

/// `flink_decimal_divide` as a UDF, for the planner.
pub fn decimal_divide_udf() -> Arc<ScalarUDF> {
    decimal_divide_fn().udf()
}

/// An exact operand's type as a DECIMAL (integers as Flink widens them), `None` otherwise.
pub fn as_decimal(t: &DataType) -> Option<(u8, i8)> {
    Some(match t {
        DataType::Decimal128(p, s) => (*p, *s),
        DataType::Int8 => (3, 0),
        DataType::Int16 => (5, 0),
        DataType::Int32 => (10, 0),
        DataType::Int64 => (19, 0),
        _ => return None,
    })
}

/// Flink's type of `DECIMAL(p1, s1) / DECIMAL(p2, s2)`: scale max(6, s1 + p2 + 1), precision
/// p1 - s1 + s2 + scale, brought within 38 digits by giving up scale (down to 6).
fn decimal_division_type(a: &DataType, b: &DataType) -> Result<DataType> {
    let (Some((p1, s1)), Some((p2, s2))) = (as_decimal(a), as_decimal(b)) else {
        return exec_err!("a DECIMAL division of {a} and {b}");
    };
    let (p1, s1, p2, s2) = (i32::from(p1), i32::from(s1), i32::from(p2), i32::from(s2));
    let scale = 6.max(s1 + p2 + 1);
    let precision = p1 - s1 + s2 + scale;
    let (precision, scale) =
        if precision <= 38 { (precision, scale) } else { (38, (38 - (precision - scale)).max(scale.min(6))) };
    Ok(DataType::Decimal128(precision as u8, scale as i8))
}

/// Each quotient rounded half-up to the result's scale (Java's `BigDecimal.divide(…, scale,
/// HALF_UP)`); NULL when it needs more digits than the result has; division by zero fails.
fn decimal_divide(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use arrow::datatypes::i256;
    let DataType::Decimal128(precision, scale) = decimal_division_type(a[0].data_type(), a[1].data_type())? else {
        return exec_err!("a DECIMAL division");
    };
    let operand = |x: &ArrayRef| -> Result<(ArrayRef, i8)> {
        let (p, s) = as_decimal(x.data_type()).expect("checked by the result type");
        Ok((arrow::compute::cast(x, &DataType::Decimal128(p, s))?, s))
    };
    let ((x, s1), (y, s2)) = (operand(&a[0])?, operand(&a[1])?);
    let (x, y) = (x.as_primitive::<Decimal128Type>(), y.as_primitive::<Decimal128Type>());
    // x / 10^s1 ÷ y / 10^s2 = (x × 10^(scale − s1 + s2) / y) / 10^scale.
    let shift = i32::from(scale) - i32::from(s1) + i32::from(s2);
    let limit = i256::from_i128(10).wrapping_pow(u32::from(precision));
    let ten = i256::from_i128(10);
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let (Some(n), Some(d)) = (get(x, i), get(y, i)) else {
            out.push(None);
            continue;
        };
        if d == 0 {
            return exec_err!("Division by zero");
        }
        let (mut n, mut d) = (i256::from_i128(n), i256::from_i128(d));
        if shift >= 0 {
            n = n.wrapping_mul(ten.wrapping_pow(shift as u32));
        } else {
            d = d.wrapping_mul(ten.wrapping_pow((-shift) as u32));
        }
        let negative = (n < i256::ZERO) != (d < i256::ZERO);
        let (n, d) = (n.wrapping_abs(), d.wrapping_abs());
        let (q, r) = (n.wrapping_div(d), n.wrapping_rem(d));
        let q = if r.wrapping_mul(i256::from_i128(2)) >= d { q.wrapping_add(i256::ONE) } else { q };
        out.push(if q >= limit { None } else { q.to_i128().map(|q| if negative { -q } else { q }) });
    }
    Ok(Arc::new(arrow::array::Decimal128Array::from(out).with_precision_and_scale(precision, scale)?))
}

fn greatest_least(f: &FlinkScalar, a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    use arrow::compute::kernels::{cmp, zip::zip};
    let greatest = f.static_name() == "greatest";
    let mut out = a[0].clone();
    for x in &a[1..] {
        let take = if greatest { cmp::gt(x, &out)? } else { cmp::lt(x, &out)? };
        out = zip(&take, x, &out)?;
    }
    let nulls =
        a.iter().fold(None, |acc, x| arrow::buffer::NullBuffer::union(acc.as_ref(), x.logical_nulls().as_ref()));
    let data = out.to_data().into_builder().nulls(nulls).build()?;
    Ok(arrow::array::make_array(data))
}

fn ret_ceil_floor(t: &[DataType]) -> Result<DataType> {
    Ok(match &t[0] {
        DataType::Decimal128(p, s) if *s > 0 => DataType::Decimal128((*p as i16 - *s as i16 + 1).min(38) as u8, 0),
        other => other.clone(),
    })
}

fn ceil_floor(f: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let ceil = f.static_name() == "ceil";
    match a[0].data_type() {
        DataType::Decimal128(_, s) if *s > 0 => {
            let DataType::Decimal128(p, _) = ret_ceil_floor(&[a[0].data_type().clone()])? else { unreachable!() };
            let div = 10i128.pow(*s as u32);
            let x = a[0].as_primitive::<Decimal128Type>();
            let out: arrow::array::Decimal128Array = (0..rows)
                .map(|i| {
                    get(x, i).map(|v| {
                        let q = v.div_euclid(div);
                        if ceil && v.rem_euclid(div) != 0 {
                            q + 1
                        } else {
                            q
                        }
                    })
                })
                .collect();
            Ok(Arc::new(out.with_precision_and_scale(p, 0)?))
        }
        DataType::Float32 | DataType::Float64 => {
            let x = arrow::compute::cast(&a[0], &DataType::Float64)?;
            let x = floats(&x);
            let out = f64_rows(rows, |i| Ok(get(x, i).map(|v| if ceil { v.ceil() } else { v.floor() })))?;
            Ok(arrow::compute::cast(&out, a[0].data_type())?)
        }
        _ => Ok(a[0].clone()),
    }
}

fn sign(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let x = arrow::compute::cast(&a[0], &DataType::Float64)?;
    let x = floats(&x);
    // Not f64::signum: that gives 1 for +0.
    let out = f64_rows(rows, |i| {
        Ok(get(x, i).map(|v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                v
            }
        }))
    })?;
    Ok(arrow::compute::cast(&out, a[0].data_type())?)
}

fn log(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let first = floats(&a[0]);
    match a.get(1).map(floats) {
        None => f64_rows(rows, |i| Ok(get(first, i).map(f64::ln))),
        Some(x) => f64_rows(rows, |i| Ok(get(first, i).zip(get(x, i)).map(|(b, x)| x.ln() / b.ln()))),
    }
}

/// `java.util.Random`: a 48-bit linear congruential generator.
#[derive(Debug, Clone)]
pub(crate) struct JavaRandom {
    seed: i64,
}

impl JavaRandom {
    const MULT: i64 = 0x5DEECE66D;
    const MASK: i64 = (1 << 48) - 1;

    /// `new Random(seed)`.
    pub(crate) fn new(seed: i64) -> Self {
        JavaRandom { seed: (seed ^ Self::MULT) & Self::MASK }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(Self::MULT).wrapping_add(0xB)) & Self::MASK;
        (self.seed >> (48 - bits)) as i32
    }

    /// `nextDouble()`.
    pub(crate) fn next_double(&mut self) -> f64 {
        let hi = (self.next(26) as i64) << 27;
        (hi + self.next(27) as i64) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `nextInt(bound)`, bound > 0.
    pub(crate) fn next_int(&mut self, bound: i32) -> i32 {
        let mut r = self.next(31);
        let m = bound - 1;
        if bound & m == 0 {
            return ((bound as i64 * r as i64) >> 31) as i32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r;
            }
            u = self.next(31);
        }
    }
}

/// Seeded generators live as long as the process: `RAND(42)` continues its sequence across
/// batches (Flink keeps one `Random(seed)` per operator instance).
static SEEDED: Mutex<Option<HashMap<(bool, i64), JavaRandom>>> = Mutex::new(None);

fn with_rng<T>(key: Option<(bool, i64)>, f: impl FnOnce(&mut JavaRandom) -> T) -> T {
    match key {
        Some(k) => {
            let mut guard = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
            f(guard.get_or_insert_with(HashMap::new).entry(k).or_insert_with(|| JavaRandom::new(k.1)))
        }
        None => {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            f(&mut JavaRandom::new(nanos as i64 ^ 0x2545F4914F6CDD1D))
        }
    }
}

fn rand(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let seed = a.first().map(ints);
    match seed {
        None => with_rng(None, |r| f64_rows(rows, |_| Ok(Some(r.next_double())))),
        Some(s) => f64_rows(rows, |i| Ok(Some(with_rng(Some((false, get(s, i).unwrap_or(0))), |r| r.next_double())))),
    }
}

fn rand_integer(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (seed, bound) = if a.len() == 2 { (Some(ints(&a[0])), ints(&a[1])) } else { (None, ints(&a[0])) };
    let mut out = Vec::with_capacity(rows);
    let mut local = None;
    for i in 0..rows {
        let Some(b) = get(bound, i) else {
            out.push(None);
            continue;
        };
        if b <= 0 || b > i32::MAX as i64 {
            return exec_err!("RAND_INTEGER: bound must be a positive INT, got {b}");
        }
        let v = match seed {
            Some(s) => with_rng(Some((true, get(s, i).unwrap_or(0))), |r| r.next_int(b as i32)),
            None => local.get_or_insert_with(|| with_rng(None, |r| r.clone())).next_int(b as i32),
        };
        out.push(Some(v));
    }
    Ok(Arc::new(Int32Array::from(out)))
}

fn hex(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let t = a[0].data_type();
    if t.is_numeric() || *t == DataType::Null {
        let x = arrow::compute::cast(&a[0], &DataType::Int64)?;
        let x = ints(&x);
        return str_rows(rows, |i| Ok(get(x, i).map(|v| format!("{:X}", v as u64))));
    }
    let s = arrow::compute::cast(&a[0], &DataType::Utf8)?;
    let s = strs(&s);
    str_rows(rows, |i| Ok(get(s, i).map(|s| s.bytes().map(|b| format!("{b:02X}")).collect())))
}

fn if_eval(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let c = bools(&a[0]);
    let mask: BooleanArray = (0..rows).map(|i| Some(get(c, i).unwrap_or(false))).collect();
    Ok(arrow::compute::kernels::zip::zip(&mask, &a[1], &a[2])?)
}

fn if_simplify(mut args: Vec<Expr>) -> Result<ExprSimplifyResult> {
    if args.len() != 3 {
        return Ok(ExprSimplifyResult::Original(args));
    }
    let (b, a, c) = (args.pop().expect("3 args"), args.pop().expect("3 args"), args.pop().expect("3 args"));
    Ok(ExprSimplifyResult::Simplified(Expr::Case(Case::new(None, vec![(Box::new(c), Box::new(a))], Some(Box::new(b))))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_mod_is_exact_with_the_dividends_sign() {
        use arrow::array::Decimal128Array;
        let d = DataType::Decimal128(4, 2);
        assert_eq!(decimal_mod_type(&d, &DataType::Int32), Some(DataType::Decimal128(4, 2)));
        assert_eq!(decimal_mod_type(&DataType::Int32, &DataType::Int32), None);
        assert_eq!(decimal_mod_type(&d, &DataType::Float64), None);
        let x: ArrayRef = Arc::new(Decimal128Array::from(vec![10, 9999, -255]).with_data_type(d.clone()));
        let one: ArrayRef = Arc::new(Int32Array::from(vec![1, 1, 1]));
        let t = ret_mod(&[d.clone(), DataType::Int32]).expect("a type");
        let r = decimal_mod(&[x, one], &t).expect("computed");
        let r = r.as_primitive::<Decimal128Type>();
        assert_eq!(r.values().to_vec(), vec![10, 99, -55]);
    }
}
