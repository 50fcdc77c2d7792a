//! `ROUND(x [, n])` and `TRUNCATE(x [, n])` with Flink's results and types, replacing
//! DataFusion's `round` and Weir's earlier `truncate`.
//!
//! | x | result type | how |
//! |---|---|---|
//! | TINYINT … BIGINT | x's type | exact, then wrapped to x's width (`ROUND(2147483647, -1)` = -2147483646, Java's `intValue()`) |
//! | FLOAT, DOUBLE | x's type | on the shortest decimal text of x (`BigDecimal.valueOf`), so `ROUND(1.005E0, 2)` = 1.01; never -0.0 |
//! | `DECIMAL(p, s)` | `DECIMAL(p, s)` if n ≥ s, `DECIMAL(1 + p - s + n, n)` if 0 ≤ n < s, `DECIMAL(1 + p - s, 0)` if n < 0 | exact |
//!
//! ROUND rounds half away from zero (Java's `HALF_UP`), TRUNCATE toward zero. For a DECIMAL the
//! result type needs n as a literal (as in Flink); with a column for n the input's type is kept.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Decimal128Array, Float32Array, Float64Array};
use arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef, Float32Type, Float64Type, Int64Type};
use datafusion_common::{exec_err, plan_err, Result, ScalarValue};
use datafusion_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// `round` and `truncate`.
pub(crate) fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![Rounding::udf(false), Rounding::udf(true)]
}

/// ROUND (`truncate == false`) or TRUNCATE.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Rounding {
    truncate: bool,
    signature: Signature,
}

impl Rounding {
    fn udf(truncate: bool) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(Rounding {
            truncate,
            signature: Signature::user_defined(Volatility::Immutable),
        }))
    }
}

/// Flink's result type of rounding `DECIMAL(p, s)` to `n` places.
fn decimal_type(p: u8, s: i8, n: i64) -> DataType {
    let (p, s) = (i64::from(p), i64::from(s));
    let (p, s) = if n >= s {
        (p, s)
    } else if n < 0 {
        (1 + p - s, 0)
    } else {
        (1 + p - s + n, n)
    };
    DataType::Decimal128(p.clamp(1, 38) as u8, s as i8)
}

impl ScalarUDFImpl for Rounding {
    fn name(&self) -> &str {
        if self.truncate {
            "truncate"
        } else {
            "round"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        if types.is_empty() || types.len() > 2 {
            return plan_err!("{} expects 1 or 2 arguments, got {}", self.name().to_uppercase(), types.len());
        }
        let first = match &types[0] {
            DataType::Null => DataType::Int32,
            DataType::Float16 => DataType::Float32,
            t if t.is_numeric() && !matches!(t, DataType::Decimal256(_, _)) => t.clone(),
            t => return plan_err!("Cannot apply '{}' to arguments of type {t}", self.name().to_uppercase()),
        };
        let mut out = vec![first];
        if let Some(t) = types.get(1) {
            if !(t.is_integer() || t.is_null()) {
                return plan_err!("{}: the number of places must be an integer, got {t}", self.name().to_uppercase());
            }
            out.push(DataType::Int64);
        }
        Ok(out)
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        Ok(types[0].clone())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let input = args.arg_fields[0].data_type();
        let places = match args.scalar_arguments.get(1) {
            None => Some(0),
            Some(Some(v)) => Some(match v {
                ScalarValue::Int8(n) => n.map(i64::from).unwrap_or(0),
                ScalarValue::Int16(n) => n.map(i64::from).unwrap_or(0),
                ScalarValue::Int32(n) => n.map(i64::from).unwrap_or(0),
                ScalarValue::Int64(n) => n.unwrap_or(0),
                _ => 0,
            }),
            Some(None) => None,
        };
        let t = match (input, places) {
            (DataType::Decimal128(p, s), Some(n)) => decimal_type(*p, *s, n),
            (other, _) => other.clone(),
        };
        let nullable = args.arg_fields.iter().any(|f| f.is_nullable());
        Ok(Arc::new(Field::new(self.name(), t, nullable)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if scalar { 1 } else { args.number_rows };
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let out = self.eval(&arrays, rows, args.return_type())?;
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

impl Rounding {
    fn eval(&self, a: &[ArrayRef], rows: usize, result: &DataType) -> Result<ArrayRef> {
        let places = a.get(1).map(|p| p.as_primitive::<Int64Type>());
        let n = |i: usize| match places {
            None => Some(0),
            Some(p) => (!p.is_null(i)).then(|| p.value(i)),
        };
        let x = &a[0];
        let valid = |i: usize| x.is_valid(i);
        Ok(match (x.data_type(), result) {
            (t, _) if t.is_integer() => {
                let wide = arrow::compute::cast(x, &DataType::Int64)?;
                let v = wide.as_primitive::<Int64Type>();
                let out: arrow::array::Int64Array = (0..rows)
                    .map(|i| {
                        let r = round_integer(i128::from(v.value(i)), n(i).filter(|_| valid(i))?, self.truncate);
                        Some(r as i64)
                    })
                    .collect();
                // Java's narrowing (`intValue()`…) keeps the low bits; so does the wrapping cast.
                let out: ArrayRef = match t {
                    DataType::Int8 => {
                        Arc::new(arrow::array::Int8Array::from_iter(out.iter().map(|v| v.map(|v| v as i8))))
                    }
                    DataType::Int16 => {
                        Arc::new(arrow::array::Int16Array::from_iter(out.iter().map(|v| v.map(|v| v as i16))))
                    }
                    DataType::Int32 => {
                        Arc::new(arrow::array::Int32Array::from_iter(out.iter().map(|v| v.map(|v| v as i32))))
                    }
                    _ => Arc::new(out),
                };
                arrow::compute::cast(&out, t)?
            }
            (DataType::Float64, _) => {
                let v = x.as_primitive::<Float64Type>();
                let out: Float64Array =
                    (0..rows).map(|i| Some(round_f64(v.value(i), n(i).filter(|_| valid(i))?, self.truncate))).collect();
                Arc::new(out)
            }
            (DataType::Float32, _) => {
                let v = x.as_primitive::<Float32Type>();
                let out: Float32Array = (0..rows)
                    .map(|i| Some(round_f64(f64::from(v.value(i)), n(i).filter(|_| valid(i))?, self.truncate) as f32))
                    .collect();
                Arc::new(out)
            }
            (DataType::Decimal128(_, s), DataType::Decimal128(p, t)) => {
                let v = x.as_primitive::<Decimal128Type>();
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    out.push(match n(i).filter(|_| valid(i)) {
                        None => None,
                        Some(n) => match round_decimal(v.value(i), i64::from(*s), n, i64::from(*t), self.truncate) {
                            Some(r) => Some(r),
                            None => return exec_err!("{}: the result overflows {result}", self.name().to_uppercase()),
                        },
                    });
                }
                Arc::new(Decimal128Array::from(out).with_precision_and_scale(*p, *t)?)
            }
            (t, r) => return exec_err!("{} of {t} as {r}", self.name().to_uppercase()),
        })
    }
}

/// `q / d` rounded half away from zero (`truncate`: toward zero); `d` > 0.
fn divide(q: i128, d: i128, truncate: bool) -> i128 {
    let (whole, rest) = (q / d, q % d);
    if truncate || rest.unsigned_abs() * 2 < d.unsigned_abs() {
        whole
    } else {
        whole + q.signum()
    }
}

/// An integer rounded to `n` places (only n < 0 changes it), exactly.
fn round_integer(v: i128, n: i64, truncate: bool) -> i128 {
    if n >= 0 {
        return v;
    }
    match 10i128.checked_pow(n.unsigned_abs().min(u64::from(u32::MAX)) as u32) {
        // 10^39 and beyond exceed every BIGINT: the result is 0.
        Some(p) if n > -39 => divide(v, p, truncate) * p,
        _ => 0,
    }
}

/// The unscaled DECIMAL `v` (scale `s`) rounded to `n` places, as an unscaled value of scale
/// `t` (t ≥ min(n, s)); `None` when it does not fit in 128 bits.
fn round_decimal(v: i128, s: i64, n: i64, t: i64, truncate: bool) -> Option<i128> {
    let pow = |e: i64| 10i128.checked_pow(u32::try_from(e).ok()?);
    if n >= s {
        return v.checked_mul(pow(t - s)?);
    }
    let q = match pow(s - n) {
        Some(d) => divide(v, d, truncate),
        None => 0,
    };
    q.checked_mul(pow(t - n)?)
}

/// `v` rounded (`truncate`: cut) to `n` decimal places on its shortest decimal text, as
/// Flink's `BigDecimal.valueOf(v)`; a zero result is +0.0.
pub(crate) fn round_f64(v: f64, n: i64, truncate: bool) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return if v == 0.0 { 0.0 } else { v };
    }
    // "d.ddddde±x": the digits and the exponent of the first one.
    let text = format!("{:e}", v.abs());
    let (mantissa, exponent) = text.split_once('e').expect("exponent notation");
    let exponent: i64 = exponent.parse().expect("an integer exponent");
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    // Digits kept: those at 10^-n and above.
    let keep = exponent + 1 + n;
    if keep >= digits.len() as i64 {
        return v;
    }
    let r = if keep < 0 {
        0.0
    } else {
        let keep = keep as usize;
        let mut prefix: u128 = digits[..keep].iter().fold(0, |acc, d| acc * 10 + u128::from(*d));
        if !truncate && digits[keep] >= 5 {
            prefix += 1;
        }
        // prefix × 10^(exponent + 1 − keep) = prefix × 10^-n, parsed for correct rounding.
        format!("{prefix}e{}", -n).parse::<f64>().unwrap_or(0.0)
    };
    if r == 0.0 {
        0.0
    } else {
        r.copysign(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_round_on_their_decimal_text() {
        let cases: &[(f64, i64, bool, f64)] = &[
            (1.005, 2, false, 1.01),
            (-2.5, 0, false, -3.0),
            (2.5, 0, false, 3.0),
            (-2.5, -2, false, 0.0),
            (-0.4, 0, false, 0.0),
            (1234.5, -2, false, 1200.0),
            (1250.0, -2, false, 1300.0),
            (0.29, 2, true, 0.29),
            (42.345, 2, true, 42.34),
            (-42.345, 1, true, -42.3),
            (12.5, -2, true, 0.0),
            (99.99, 1, false, 100.0),
            (0.05, 1, false, 0.1),
            (0.04, 1, false, 0.0),
            (1e300, 2, false, 1e300),
        ];
        for &(v, n, truncate, expected) in cases {
            let r = round_f64(v, n, truncate);
            assert_eq!(r, expected, "{v} {n} {truncate}");
            assert!(r != 0.0 || r.is_sign_positive(), "{v} {n}: -0.0");
        }
    }

    #[test]
    fn integers_round_exactly_then_wrap() {
        assert_eq!(round_integer(2147483647, -1, false) as i32, -2147483646);
        assert_eq!(round_integer(-2147483648, -1, false) as i32, 2147483646);
        assert_eq!(round_integer(-15, -1, false), -20);
        assert_eq!(round_integer(-15, -1, true), -10);
        assert_eq!(round_integer(15, 2, false), 15);
        assert_eq!(round_integer(i64::MAX as i128, -40, false), 0);
    }

    #[test]
    fn decimals_round_to_flinks_scale() {
        // 2.500 (scale 3) truncated to 1 place: 2.5 at scale 1.
        assert_eq!(round_decimal(2500, 3, 1, 1, true), Some(25));
        assert_eq!(decimal_type(7, 3, 1), DataType::Decimal128(6, 1));
        // -2.55 rounded to 1: -2.6; to -1 places: 0 (scale 0).
        assert_eq!(round_decimal(-255, 2, 1, 1, false), Some(-26));
        assert_eq!(round_decimal(-255, 2, -1, 0, false), Some(0));
        assert_eq!(decimal_type(4, 2, -1), DataType::Decimal128(3, 0));
        // 123.45 rounded to -1 places: 120; n beyond the scale keeps it.
        assert_eq!(round_decimal(12345, 2, -1, 0, false), Some(120));
        assert_eq!(round_decimal(12345, 2, 5, 2, false), Some(12345));
        assert_eq!(decimal_type(5, 2, 5), DataType::Decimal128(5, 2));
        // A column for n keeps the input's scale.
        assert_eq!(round_decimal(12345, 2, 1, 2, false), Some(12350));
    }
}
