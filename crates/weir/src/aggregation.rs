//! Positional aggregations for keyed streams: `sum(pos)`, `min(pos)`, `max(pos)`,
//! `min_by(pos)`, `max_by(pos)` on tuples, as in Flink.
//!
//! - `sum`, `min`, `max` keep the first record's other fields and update field `pos`;
//! - `min_by`, `max_by` keep the whole record holding the extreme value (the earlier one
//!   on ties).
//!
//! A position that is out of range, or not numeric for `sum`, is reported by
//! `execute()` before the job runs, as Flink rejects it when the job is built.

use std::cmp::Ordering;

/// A value that can sit in an aggregated tuple field.
pub trait FieldValue: Clone {
    /// Whether `sum` applies.
    const NUMERIC: bool;
    /// `self += other` (only called when `NUMERIC`).
    fn add(&mut self, other: &Self);
    /// Total order for `min`/`max` (NaN sorts as equal).
    fn compare(&self, other: &Self) -> Ordering;
}

macro_rules! numeric {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            const NUMERIC: bool = true;
            #[inline]
            fn add(&mut self, other: &Self) {
                *self += *other;
            }
            #[inline]
            fn compare(&self, other: &Self) -> Ordering {
                self.partial_cmp(other).unwrap_or(Ordering::Equal)
            }
        }
    )*};
}
numeric!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64);

macro_rules! ordered {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            const NUMERIC: bool = false;
            fn add(&mut self, _: &Self) {}
            #[inline]
            fn compare(&self, other: &Self) -> Ordering {
                self.cmp(other)
            }
        }
    )*};
}
ordered!(String, &'static str, bool, char);

/// A record whose fields can be aggregated by position: tuples of [`FieldValue`]s, and
/// single numbers (position 0).
pub trait Fields: Clone {
    /// Number of fields.
    const ARITY: usize;
    /// Whether field `pos` is numeric.
    fn is_numeric(pos: usize) -> bool;
    /// `self[pos] += other[pos]`.
    fn add_at(&mut self, pos: usize, other: &Self);
    /// Compares field `pos`.
    fn compare_at(&self, pos: usize, other: &Self) -> Ordering;
    /// `self[pos] = other[pos]`.
    fn copy_at(&mut self, pos: usize, other: &Self);
}

macro_rules! scalar_fields {
    ($($t:ty),*) => {$(
        impl Fields for $t {
            const ARITY: usize = 1;
            fn is_numeric(_: usize) -> bool { <$t as FieldValue>::NUMERIC }
            #[inline]
            fn add_at(&mut self, _: usize, other: &Self) { FieldValue::add(self, other) }
            #[inline]
            fn compare_at(&self, _: usize, other: &Self) -> Ordering { FieldValue::compare(self, other) }
            #[inline]
            fn copy_at(&mut self, _: usize, other: &Self) { *self = other.clone() }
        }
    )*};
}
scalar_fields!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64);

macro_rules! tuple_fields {
    ($n:expr; $($T:ident $i:tt),+) => {
        impl<$($T: FieldValue),+> Fields for ($($T,)+) {
            const ARITY: usize = $n;
            fn is_numeric(pos: usize) -> bool {
                match pos { $($i => $T::NUMERIC,)+ _ => false }
            }
            #[inline]
            fn add_at(&mut self, pos: usize, other: &Self) {
                match pos { $($i => self.$i.add(&other.$i),)+ _ => {} }
            }
            #[inline]
            fn compare_at(&self, pos: usize, other: &Self) -> Ordering {
                match pos { $($i => self.$i.compare(&other.$i),)+ _ => Ordering::Equal }
            }
            #[inline]
            fn copy_at(&mut self, pos: usize, other: &Self) {
                match pos { $($i => self.$i = other.$i.clone(),)+ _ => {} }
            }
        }
    };
}
tuple_fields!(1; A 0);
tuple_fields!(2; A 0, B 1);
tuple_fields!(3; A 0, B 1, C 2);
tuple_fields!(4; A 0, B 1, C 2, D 3);
tuple_fields!(5; A 0, B 1, C 2, D 3, E 4);
tuple_fields!(6; A 0, B 1, C 2, D 3, E 4, F 5);
tuple_fields!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_fields!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// Which positional aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// `sum(pos)`.
    Sum,
    /// `min(pos)`.
    Min,
    /// `max(pos)`.
    Max,
    /// `min_by(pos)`.
    MinBy,
    /// `max_by(pos)`.
    MaxBy,
}

impl Aggregation {
    /// Checks `pos` for a record type `T`.
    ///
    /// # Errors
    /// A message naming the aggregation, the position and what is wrong.
    pub fn validate<T: Fields>(self, pos: usize) -> Result<(), String> {
        if pos >= T::ARITY {
            return Err(format!(
                "{self:?}({pos}): position {pos} is out of range for a record of {} field(s) ({})",
                T::ARITY,
                std::any::type_name::<T>()
            ));
        }
        if self == Aggregation::Sum && !T::is_numeric(pos) {
            return Err(format!("Sum({pos}): field {pos} of {} is not numeric", std::any::type_name::<T>()));
        }
        Ok(())
    }

    /// The reduce function: `(accumulated, new) -> accumulated`.
    pub fn reducer<T: Fields>(self, pos: usize) -> impl FnMut(T, T) -> T + Clone + Send + Sync + 'static {
        move |mut acc: T, v: T| match self {
            Aggregation::Sum => {
                acc.add_at(pos, &v);
                acc
            }
            Aggregation::Min => {
                if v.compare_at(pos, &acc) == Ordering::Less {
                    acc.copy_at(pos, &v);
                }
                acc
            }
            Aggregation::Max => {
                if v.compare_at(pos, &acc) == Ordering::Greater {
                    acc.copy_at(pos, &v);
                }
                acc
            }
            Aggregation::MinBy => {
                if v.compare_at(pos, &acc) == Ordering::Less {
                    v
                } else {
                    acc
                }
            }
            Aggregation::MaxBy => {
                if v.compare_at(pos, &acc) == Ordering::Greater {
                    v
                } else {
                    acc
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregations_follow_flink_semantics() {
        let rows = [("a", 3i64, 1.5f64), ("b", 1, 9.0), ("c", 7, 0.5), ("d", 1, 2.0)];
        let fold = |agg: Aggregation, pos: usize| {
            let mut r = agg.reducer::<(&str, i64, f64)>(pos);
            rows.iter().skip(1).fold(rows[0], |acc, v| r(acc, *v))
        };
        assert_eq!(fold(Aggregation::Sum, 1), ("a", 12, 1.5));
        assert_eq!(fold(Aggregation::Sum, 2), ("a", 3, 13.0));
        assert_eq!(fold(Aggregation::Min, 1), ("a", 1, 1.5)); // other fields from the first
        assert_eq!(fold(Aggregation::Max, 2), ("a", 3, 9.0));
        assert_eq!(fold(Aggregation::MinBy, 1), ("b", 1, 9.0)); // first of the tied minimums
        assert_eq!(fold(Aggregation::MaxBy, 1), ("c", 7, 0.5));
    }

    #[test]
    fn bad_positions_are_rejected() {
        assert!(Aggregation::Sum.validate::<(String, i64)>(1).is_ok());
        let e = Aggregation::Sum.validate::<(String, i64)>(0).unwrap_err();
        assert!(e.contains("not numeric"), "{e}");
        let e = Aggregation::Max.validate::<(String, i64)>(2).unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        assert!(Aggregation::Min.validate::<(String, i64)>(0).is_ok());
        assert!(Aggregation::Sum.validate::<u64>(0).is_ok());
    }
}
