//! The PNG file of a chart's pixmap in one pass over its pixels: each row is filtered (`Up`)
//! straight from the premultiplied RGBA into a row of RGB differences (a chart's background is
//! opaque, so nothing is demultiplied and the alpha is left out; a row as the one above it, and
//! a block of sixteen pixels as above them, is zeros without being packed: most of a chart) and
//! handed to fdeflate (quick over zeros), whose
//! zlib stream is written into the file's one `IDAT` chunk as it comes. (The png crate made the
//! RGB copy of the whole image, filtered it in a second pass, and copied the compressed stream
//! twice.) A pixmap with any transparency is encoded by tiny-skia instead, as RGBA. Must not
//! know what a chart is: pixels in, PNG bytes out.

use std::io::Write as _;

use resvg::tiny_skia::Pixmap;

use crate::charts::RenderError;

/// The PNG file of `pixmap`, written into `out` (cleared first), with a text chunk for each of
/// `text` (keyword, text) after its header; the row buffer is `row`.
pub(super) fn encode(
    pixmap: &Pixmap,
    text: &[(&str, &str)],
    row: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<(), RenderError> {
    out.clear();
    let (width, height) = (pixmap.width(), pixmap.height());
    let stride = width as usize * 4;
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut header = [0u8; 13];
    header[..4].copy_from_slice(&width.to_be_bytes());
    header[4..8].copy_from_slice(&height.to_be_bytes());
    // 8 bits a channel, RGB, deflate, adaptive filtering (one filter type a row), no interlace.
    header[8..].copy_from_slice(&[8, 2, 0, 0, 0]);
    chunk(out, b"IHDR", &header);
    texts(out, text);

    // The IDAT chunk: its length, filled in once the stream is written, its type, the stream.
    let idat = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(b"IDAT");
    // The filtered row (its filter type, then RGB), and the row's RGBA differences before they
    // are packed.
    let rgb = width as usize * 3;
    row.clear();
    row.resize(1 + rgb + stride, 0);
    let (row, wide) = row.split_at_mut(1 + rgb);
    // The `Up` filter: each byte less the one above it (zero above the first row).
    row[0] = 2;
    let mut compressor = fdeflate::Compressor::new(&mut *out).map_err(png::EncodingError::from)?;
    let zero = vec![0; stride];
    let mut above: &[u8] = &zero;
    for line in pixmap.data().chunks_exact(stride) {
        // Whole rows at a time, so that the compiler makes vector code of this and the
        // differences.
        let alpha = line
            .chunks_exact(4)
            .map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]))
            .fold(u32::MAX, |all, p| all & p);
        if alpha >> 24 != 255 {
            *out = pixmap.encode_png()?;
            // Its text after its header (8 bytes of signature, 25 of IHDR), as above.
            let mut chunks = Vec::new();
            texts(&mut chunks, text);
            out.splice(33..33, chunks);
            return Ok(());
        }
        let packed = &mut row[1..1 + rgb];
        if line == above {
            // The whole row as above it (a margin, a flat band): all differences zero.
            packed.fill(0);
        } else {
            for ((d, p), q) in wide.iter_mut().zip(line).zip(above) {
                *d = p.wrapping_sub(*q);
            }
            pack(wide, packed);
        }
        compressor
            .write_data(&row[..1 + rgb])
            .map_err(png::EncodingError::from)?;
        above = line;
    }
    compressor.finish().map_err(png::EncodingError::from)?;
    let length = out.len() - idat - 8;
    let length = u32::try_from(length).map_err(|_| RenderError::Size { width, height })?;
    out[idat..idat + 4].copy_from_slice(&length.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&out[idat + 4..]);
    let sum = crc.sum();
    out.write_all(&sum.to_be_bytes())
        .map_err(png::EncodingError::from)?;
    chunk(out, b"IEND", &[]);
    Ok(())
}

/// The RGB of RGBA differences, sixteen pixels at a time: zeros where all sixteen are as above
/// them (most of a chart: its margins, the sea, a region's inside), else four pixels at a time,
/// each pixel's four bytes laid three bytes after the last one's (its alpha overwritten by the
/// next one's red).
fn pack(wide: &[u8], packed: &mut [u8]) {
    let blocks = wide.chunks_exact(64);
    let rest = blocks.remainder();
    for (to, block) in packed.chunks_exact_mut(48).zip(blocks) {
        if block.iter().fold(0, |any, b| any | b) == 0 {
            to.fill(0);
            continue;
        }
        for (to, quad) in to.chunks_exact_mut(12).zip(block.chunks_exact(16)) {
            to[0..4].copy_from_slice(&quad[0..4]);
            to[3..7].copy_from_slice(&quad[4..8]);
            to[6..10].copy_from_slice(&quad[8..12]);
            to[9..12].copy_from_slice(&quad[12..15]);
        }
    }
    let done = wide.len() / 64 * 48;
    for (to, p) in packed[done..].chunks_exact_mut(3).zip(rest.chunks_exact(4)) {
        to.copy_from_slice(&p[..3]);
    }
}

/// Appends a text chunk for each `(keyword, text)`: `tEXt` when the text is Latin-1, `iTXt`
/// (UTF-8, uncompressed, no language) when not. A keyword must be 1 to 79 printable ASCII
/// characters, without a leading, trailing or double space (PNG's rule, ASCII alone kept
/// here); one that is not is left out.
fn texts(out: &mut Vec<u8>, text: &[(&str, &str)]) {
    let mut data = Vec::new();
    for (keyword, text) in text {
        let printable = keyword.bytes().all(|b| (b' '..=b'~').contains(&b));
        if keyword.is_empty()
            || keyword.len() > 79
            || !printable
            || keyword.starts_with(' ')
            || keyword.ends_with(' ')
            || keyword.contains("  ")
        {
            continue;
        }
        data.clear();
        data.extend_from_slice(keyword.as_bytes());
        data.push(0);
        if text.chars().all(|c| u32::from(c) <= 0xFF) {
            data.extend(text.chars().map(|c| u32::from(c) as u8));
            chunk(out, b"tEXt", &data);
        } else {
            // Not compressed, method 0, no language tag, no translated keyword.
            data.extend_from_slice(&[0, 0, 0, 0]);
            data.extend_from_slice(text.as_bytes());
            chunk(out, b"iTXt", &data);
        }
    }
}

/// Appends a chunk: its length, its type, its data and the CRC of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An opaque pixmap of every kind of row: flat, the same again, a gradient, noise, the
    /// noise again but for one pixel (sixteen-pixel blocks as above them and one not).
    fn opaque(width: u32, height: u32) -> Pixmap {
        let mut pixmap = Pixmap::new(width, height).expect("a size");
        let mut seed = 7u32;
        let mut noise = vec![[0u8; 3]; width as usize];
        for (i, p) in pixmap.data_mut().chunks_exact_mut(4).enumerate() {
            let (x, y) = (i as u32 % width, i as u32 / width);
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let rgb = match y % 5 {
                0 | 1 => [200, 30, 90],
                2 => [x as u8, (x * 3) as u8, y as u8],
                3 => {
                    noise[x as usize] = [(seed >> 8) as u8, (seed >> 16) as u8, (seed >> 24) as u8];
                    noise[x as usize]
                }
                _ if x == 70 => [1, 2, 3],
                _ => noise[x as usize],
            };
            p.copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
        }
        pixmap
    }

    fn encoded(pixmap: &Pixmap) -> Vec<u8> {
        let (mut row, mut out) = (Vec::new(), Vec::new());
        encode(pixmap, &[], &mut row, &mut out).expect("encodes");
        out
    }

    #[test]
    fn an_opaque_pixmap_is_an_rgb_png_of_the_same_pixels() {
        // Two blocks of sixteen pixels and some a row, and the 37 pixels of none.
        for (width, height) in [(150, 23), (37, 11)] {
            let pixmap = opaque(width, height);
            let bytes = encoded(&pixmap);
            let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
            let mut reader = decoder.read_info().expect("a PNG");
            assert_eq!(reader.info().color_type, png::ColorType::Rgb);
            let mut rgb = vec![0; reader.output_buffer_size()];
            reader.next_frame(&mut rgb).expect("its pixels");
            let ours: Vec<u8> = pixmap
                .data()
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect();
            assert!(rgb == ours, "the decoded pixels differ");
            // And tiny-skia reads it back (checksums and all) as the same pixmap.
            assert!(Pixmap::decode_png(&bytes).expect("decodes") == pixmap);
        }
    }

    #[test]
    fn a_transparent_pixel_makes_an_rgba_png() {
        let mut pixmap = opaque(16, 9);
        // A premultiplied half-transparent pixel in the last row.
        pixmap.data_mut()[(8 * 16 + 3) * 4..(8 * 16 + 4) * 4].copy_from_slice(&[50, 20, 10, 128]);
        let bytes = encoded(&pixmap);
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let reader = decoder.read_info().expect("a PNG");
        assert_eq!(reader.info().color_type, png::ColorType::Rgba);
        assert!(Pixmap::decode_png(&bytes).expect("decodes") == pixmap);
    }

    /// The keywords and texts of the PNG's text chunks, as the png crate reads them.
    fn read_texts(bytes: &[u8]) -> Vec<(String, String)> {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().expect("a PNG");
        let info = reader.info();
        let mut texts: Vec<(String, String)> = info
            .uncompressed_latin1_text
            .iter()
            .map(|t| (t.keyword.clone(), t.text.clone()))
            .collect();
        texts.extend(
            info.utf8_text
                .iter()
                .map(|t| (t.keyword.clone(), t.get_text().expect("UTF-8"))),
        );
        texts
    }

    #[test]
    fn the_text_given_is_in_text_chunks_before_the_pixels() {
        let text = [
            ("Source", "Eurostat (isoc_r_iacc_h) · © EuroGeographics"),
            ("Copyright", "CC BY 4.0"),
            ("Software", "desi-city"),
            ("Title", "Ménages connectés — région"),
            (" bad", "left out"),
        ];
        let expected: Vec<(String, String)> = text[..4]
            .iter()
            .map(|(k, t)| (k.to_string(), t.to_string()))
            .collect();
        for pixmap in [opaque(20, 10), {
            let mut p = opaque(20, 10);
            p.data_mut()[..4].copy_from_slice(&[10, 10, 10, 128]);
            p
        }] {
            let (mut row, mut out) = (Vec::new(), Vec::new());
            encode(&pixmap, &text, &mut row, &mut out).expect("encodes");
            let mut found = read_texts(&out);
            found.sort();
            let mut want = expected.clone();
            want.sort();
            assert_eq!(found, want);
            // The em dash is not Latin-1: that one is UTF-8 (iTXt), the others tEXt.
            let find = |kind: &[u8]| out.windows(4).filter(|w| *w == kind).count();
            assert_eq!((find(b"tEXt"), find(b"iTXt")), (3, 1));
            assert!(Pixmap::decode_png(&out).expect("decodes") == pixmap);
        }
        assert!(read_texts(&encoded(&opaque(20, 10))).is_empty());
    }
}
