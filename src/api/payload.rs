//! The bytes of an answer: one buffer, or several shared slices sent one after another without
//! being copied into a new buffer (a series' rows are slices of its table's rows encoded once).
//! Knows nothing of what the bytes say.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};

/// An answer's body: its chunks in order and their total length.
#[derive(Debug, Clone, Default)]
pub struct Payload {
    chunks: Vec<Bytes>,
    len: usize,
}

impl Payload {
    /// The chunks, in order (empty ones left out).
    pub fn from_chunks(chunks: impl IntoIterator<Item = Bytes>) -> Payload {
        let chunks: Vec<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let len = chunks.iter().map(Bytes::len).sum();
        Payload { chunks, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes as one buffer (copied only when there are several chunks).
    pub fn to_bytes(&self) -> Bytes {
        match self.chunks.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            many => {
                let mut out = BytesMut::with_capacity(self.len);
                for chunk in many {
                    out.extend_from_slice(chunk);
                }
                out.freeze()
            }
        }
    }

    /// The same bytes as one chunk: what the answer cache keeps, so that a cached answer holds
    /// only its own bytes, not the whole tables its chunks are slices of.
    pub fn flattened(self) -> Payload {
        if self.chunks.len() <= 1 {
            return self;
        }
        Payload::from(self.to_bytes())
    }

    /// A response body that sends the chunks as they are, with its exact length (so the
    /// response has a `Content-Length`).
    pub fn into_body(self) -> axum::body::Body {
        match self.chunks.len() {
            0 => axum::body::Body::empty(),
            1 => axum::body::Body::from(self.chunks.into_iter().next().unwrap_or_default()),
            _ => axum::body::Body::new(Chunks {
                left: self.len as u64,
                chunks: self.chunks.into(),
            }),
        }
    }
}

impl From<Bytes> for Payload {
    fn from(bytes: Bytes) -> Payload {
        Payload::from_chunks([bytes])
    }
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Payload {
        Payload::from(Bytes::from(bytes))
    }
}

impl From<String> for Payload {
    fn from(text: String) -> Payload {
        Payload::from(Bytes::from(text))
    }
}

impl From<&'static str> for Payload {
    fn from(text: &'static str) -> Payload {
        Payload::from(Bytes::from_static(text.as_bytes()))
    }
}

/// The body of a payload of several chunks: one data frame per chunk.
struct Chunks {
    chunks: VecDeque<Bytes>,
    left: u64,
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.chunks.pop_front().map(|chunk| {
            self.left -= chunk.len() as u64;
            Ok(Frame::data(chunk))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_payload_of_chunks_sends_them_in_order_with_its_exact_length() {
        let table = Bytes::from_static(b"r0,r1,r2,");
        let payload = Payload::from_chunks([
            Bytes::from_static(b"["),
            table.slice(3..5),
            Bytes::new(),
            Bytes::from_static(b","),
            table.slice(0..2),
            Bytes::from_static(b"]"),
        ]);
        assert_eq!(payload.len(), 7);
        assert_eq!(&payload.to_bytes()[..], b"[r1,r0]");
        let body = payload.clone().into_body();
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(7));
        let collected = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        assert_eq!(&collected[..], b"[r1,r0]");
        let flat = payload.flattened();
        assert_eq!(flat.chunks.len(), 1);
        assert_eq!(&flat.to_bytes()[..], b"[r1,r0]");
    }
}
