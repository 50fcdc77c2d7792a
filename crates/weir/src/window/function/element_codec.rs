//! [`ElementCodec`]: how the window elements a window keeps (for a process function or
//! an evictor) are written into a checkpoint.
//!
//! A pair of functions rather than a trait, so that one can be chosen per element type
//! where the type is known: serde for the records of a windowed stream, a mapping to
//! `Result` for the [`Either`] records of window joins and co-groups (whose type belongs
//! to `weir-core` and has no serde implementation of its own).

use serde::de::DeserializeOwned;
use serde::Serialize;
use weir_core::Either;
use weir_runtime::BoxError;

/// Encodes and decodes lists of window elements of type `T`.
///
/// # Example
/// ```
/// use weir::window::ElementCodec;
/// let codec = ElementCodec::<String>::serde();
/// let bytes = codec.encode(&[&"a".to_string(), &"b".to_string()]).unwrap();
/// assert_eq!(codec.decode(&bytes).unwrap(), vec!["a".to_string(), "b".to_string()]);
/// ```
pub struct ElementCodec<T> {
    encode: fn(&[&T]) -> Result<Vec<u8>, BoxError>,
    decode: fn(&[u8]) -> Result<Vec<T>, BoxError>,
}

impl<T> Clone for ElementCodec<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ElementCodec<T> {}

impl<T> std::fmt::Debug for ElementCodec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElementCodec").finish_non_exhaustive()
    }
}

impl<T> ElementCodec<T> {
    /// The bytes of `elements`.
    ///
    /// # Errors
    /// When an element cannot be encoded.
    pub fn encode(&self, elements: &[&T]) -> Result<Vec<u8>, BoxError> {
        (self.encode)(elements)
    }

    /// The elements of bytes written by [`Self::encode`].
    ///
    /// # Errors
    /// Bytes that are not a list of `T`.
    pub fn decode(&self, bytes: &[u8]) -> Result<Vec<T>, BoxError> {
        (self.decode)(bytes)
    }
}

impl<T: Serialize + DeserializeOwned> ElementCodec<T> {
    /// Elements written with serde (bincode).
    pub fn serde() -> Self {
        ElementCodec { encode: |elements| Ok(bincode::serialize(elements)?), decode: decode_serde::<T> }
    }
}

fn decode_serde<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>, BoxError> {
    bincode::deserialize(bytes).map_err(|e| format!("window elements in the checkpoint do not decode: {e}").into())
}

impl<A, B> ElementCodec<Either<A, B>>
where
    A: Serialize + DeserializeOwned,
    B: Serialize + DeserializeOwned,
{
    /// The tagged records of both inputs of a window join or co-group, written as
    /// `Ok(first)` / `Err(second)`.
    ///
    /// ```
    /// use weir::window::ElementCodec;
    /// use weir::Either;
    /// let codec = ElementCodec::<Either<u8, String>>::either();
    /// let (a, b) = (Either::Left(1), Either::Right("x".to_string()));
    /// let bytes = codec.encode(&[&a, &b]).unwrap();
    /// assert_eq!(codec.decode(&bytes).unwrap(), vec![a, b]);
    /// ```
    pub fn either() -> Self {
        ElementCodec { encode: encode_either::<A, B>, decode: decode_either::<A, B> }
    }
}

fn encode_either<A: Serialize, B: Serialize>(elements: &[&Either<A, B>]) -> Result<Vec<u8>, BoxError> {
    let tagged: Vec<Result<&A, &B>> = elements
        .iter()
        .map(|e| match e {
            Either::Left(a) => Ok(a),
            Either::Right(b) => Err(b),
        })
        .collect();
    Ok(bincode::serialize(&tagged)?)
}

fn decode_either<A: DeserializeOwned, B: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<Either<A, B>>, BoxError> {
    let tagged: Vec<Result<A, B>> = decode_serde(bytes)?;
    Ok(tagged
        .into_iter()
        .map(|t| match t {
            Ok(a) => Either::Left(a),
            Err(b) => Either::Right(b),
        })
        .collect())
}
