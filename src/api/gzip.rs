//! gzip members (RFC 1952) assembled from pieces deflated once. A piece is raw deflate (RFC 1951)
//! of bytes on their own: no back-reference before its start, no final block, ended byte-aligned
//! by a sync flush, so pieces can follow one another in any order. A member is the gzip header,
//! its pieces and stored blocks (bytes sent as they are: what differs per request), an empty final
//! block, and the CRC-32 of the whole, combined from each part's CRC without reading its bytes
//! again (zlib's `crc32_combine_op`). So an answer selected from rows compressed once costs a few
//! slices, not a compression. Knows nothing of what the bytes say.

use bytes::Bytes;
use flate2::{Compress, Compression, FlushCompress};
use zlib_rs::crc32::{crc32, crc32_combine_gen, crc32_combine_op};

use super::payload::Payload;

/// The gzip header: deflate, no flags, no time, no extra flags, unknown system.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// An empty final block (fixed Huffman codes: the end-of-block code alone).
const FINAL: [u8; 2] = [0x03, 0x00];

/// The most a stored block holds.
const STORED_MAX: usize = u16::MAX as usize;

/// Bytes deflated on their own, with what a member needs to append them.
#[derive(Debug, Clone)]
pub struct Piece {
    deflated: Bytes,
    crc: u32,
    /// Appends `len` bytes to a CRC (x^(8·len) modulo the CRC polynomial).
    shift: u32,
    len: u64,
}

impl Piece {
    /// `bytes` deflated at the best level, on their own.
    pub fn deflate(bytes: &[u8]) -> Result<Piece, flate2::CompressError> {
        let mut deflater = Compress::new(Compression::best(), false);
        let mut out = Vec::with_capacity(bytes.len() / 4 + 64);
        loop {
            out.reserve(4096);
            let read = deflater.total_in() as usize;
            deflater.compress_vec(&bytes[read..], &mut out, FlushCompress::Sync)?;
            // The flush is complete once all input is in and the output did not fill up.
            if deflater.total_in() as usize == bytes.len() && out.len() < out.capacity() {
                break;
            }
        }
        Ok(Piece {
            deflated: out.into(),
            crc: crc32(0, bytes),
            shift: crc32_combine_gen(bytes.len() as u64),
            len: bytes.len() as u64,
        })
    }
}

/// A gzip member being assembled.
pub struct Member {
    chunks: Vec<Bytes>,
    crc: u32,
    len: u64,
}

impl Member {
    /// An empty member, with room for `parts` pieces and stored blocks.
    pub fn with_capacity(parts: usize) -> Member {
        let mut chunks = Vec::with_capacity(parts + 2);
        chunks.push(Bytes::from_static(&HEADER));
        Member {
            chunks,
            crc: 0,
            len: 0,
        }
    }

    /// Appends a piece (a slice of its bytes, not a copy).
    pub fn piece(&mut self, piece: &Piece) {
        self.chunks.push(piece.deflated.clone());
        self.crc = crc32_combine_op(self.crc, piece.crc, piece.shift);
        self.len += piece.len;
    }

    /// Appends `bytes` as they are, in stored blocks.
    pub fn stored(&mut self, bytes: &[u8]) {
        for block in bytes.chunks(STORED_MAX) {
            let n = block.len() as u16;
            let mut chunk = Vec::with_capacity(5 + block.len());
            chunk.push(0); // not final, stored; the rest of the byte pads to its end
            chunk.extend_from_slice(&n.to_le_bytes());
            chunk.extend_from_slice(&(!n).to_le_bytes());
            chunk.extend_from_slice(block);
            self.chunks.push(chunk.into());
        }
        self.crc = crc32(self.crc, bytes);
        self.len += bytes.len() as u64;
    }

    /// The member, ended: the final block, the CRC-32 and the length modulo 2^32.
    pub fn finish(mut self) -> Payload {
        let mut end = Vec::with_capacity(10);
        end.extend_from_slice(&FINAL);
        end.extend_from_slice(&self.crc.to_le_bytes());
        end.extend_from_slice(&(self.len as u32).to_le_bytes());
        self.chunks.push(end.into());
        Payload::from_chunks(self.chunks)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn pieces_and_stored_bytes_in_any_order_inflate_to_their_bytes_in_that_order() {
        let row = |i: usize| {
            format!(
                "{{\"geo\":\"G{i}\",\"value\":{}.5,\"licence\":\"CC-BY-4.0\"}},",
                i * 7
            )
        };
        let blocks: Vec<String> = (0..5)
            .map(|b| (0..40).map(|i| row(b * 40 + i)).collect())
            .collect();
        let pieces: Vec<Piece> = blocks
            .iter()
            .map(|b| Piece::deflate(b.as_bytes()).unwrap())
            .collect();
        // Longer than a stored block holds, so it is split.
        let long = "x".repeat(STORED_MAX + 10);
        let mut member = Member::with_capacity(8);
        let mut expected = Vec::new();
        for (i, text) in [(3, "head"), (0, ""), (4, long.as_str()), (3, ",")] {
            member.piece(&pieces[i]);
            expected.extend_from_slice(blocks[i].as_bytes());
            member.stored(text.as_bytes());
            expected.extend_from_slice(text.as_bytes());
        }
        let gz = member.finish().to_bytes();
        assert_eq!(gunzip(&gz).unwrap(), expected);
        // The rows compress: a piece is far smaller than its bytes.
        assert!(
            pieces[0].deflated.len() * 4 < blocks[0].len(),
            "{}",
            pieces[0].deflated.len()
        );
        assert_eq!(pieces[0].len, blocks[0].len() as u64);
    }

    #[test]
    fn a_member_of_nothing_is_the_empty_gzip_file_and_a_wrong_checksum_is_caught() {
        let empty = Member::with_capacity(0).finish().to_bytes();
        assert_eq!(gunzip(&empty).unwrap(), b"");
        let piece = Piece::deflate(b"the same bytes twice, the same bytes twice").unwrap();
        assert!(piece.len > 0);
        let mut member = Member::with_capacity(1);
        member.piece(&piece);
        let mut gz = member.finish().to_bytes().to_vec();
        let crc = gz.len() - 8;
        gz[crc] ^= 1;
        assert!(
            gunzip(&gz).is_err(),
            "a decoder checks the CRC this member carries"
        );
    }
}
