//! The element type of an operator with two inputs.

/// A record from the first (`Left`) or second (`Right`) input of a two-input operator
/// (`connect`). Two-input operators are one-input operators over `Either<A, B>`, so the
/// runtime needs a single operator trait whatever the number of inputs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Either<A, B> {
    /// From the first input.
    Left(A),
    /// From the second input.
    Right(B),
}
