//! A company's logo as a PDF image: a JPEG as it is (the PDF reader decodes it), a PNG decoded
//! here into its colour samples and, when it has transparency, an alpha mask. Only what a logo
//! needs: 8-bit, non-interlaced PNGs of every colour type; anything else is left off the PDF
//! (the HTML copy still shows it).

use std::io::{Read, Write};

use domain::company::LogoType;

/// The largest logo side drawn, in pixels; a bound on what a 256 KiB file may inflate to.
const SIDE_MAX: u32 = 4096;

/// The colour space of an image's samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Colors {
    /// One sample per pixel.
    Gray,
    /// Three.
    Rgb,
    /// Four (JPEG only).
    Cmyk,
}

/// An image ready for a PDF image XObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PdfImage {
    /// Its width in pixels.
    pub(super) width: u32,
    /// Its height in pixels.
    pub(super) height: u32,
    /// Its colour space.
    pub(super) colors: Colors,
    /// Whether `data` is a JPEG (`DCTDecode`); zlib-compressed samples (`FlateDecode`) otherwise.
    pub(super) jpeg: bool,
    /// The encoded samples.
    pub(super) data: Vec<u8>,
    /// The zlib-compressed 8-bit alpha samples, when the picture has transparency.
    pub(super) alpha: Option<Vec<u8>>,
}

/// The logo `bytes` of type `kind` as a PDF image, or `None` when this kind of file cannot be
/// drawn.
pub(super) fn pdf_image(kind: LogoType, bytes: &[u8]) -> Option<PdfImage> {
    match kind {
        LogoType::Jpeg => jpeg(bytes),
        LogoType::Png => png(bytes),
    }
}

/// A JPEG's size and colour space, read from its start-of-frame marker.
fn jpeg(bytes: &[u8]) -> Option<PdfImage> {
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return None;
        }
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        // Start of frame: baseline, extended, progressive (not the huffman/arithmetic tables).
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let frame = bytes.get(at + 4..at + 2 + length)?;
            let height = u32::from(u16::from_be_bytes([*frame.get(1)?, *frame.get(2)?]));
            let width = u32::from(u16::from_be_bytes([*frame.get(3)?, *frame.get(4)?]));
            let colors = match frame.get(5)? {
                1 => Colors::Gray,
                3 => Colors::Rgb,
                4 => Colors::Cmyk,
                _ => return None,
            };
            return (width > 0 && height > 0).then(|| PdfImage {
                width,
                height,
                colors,
                jpeg: true,
                data: bytes.to_vec(),
                alpha: None,
            });
        }
        at += 2 + length;
    }
    None
}

/// A PNG decoded: its chunks read, its pixels inflated and unfiltered, split into colour and
/// alpha, and compressed again.
fn png(bytes: &[u8]) -> Option<PdfImage> {
    let mut at = 8;
    let mut header = None;
    let mut palette: &[u8] = &[];
    let mut transparency: &[u8] = &[];
    let mut compressed = Vec::new();
    while at + 8 <= bytes.len() {
        let length =
            usize::try_from(u32::from_be_bytes(bytes[at..at + 4].try_into().ok()?)).ok()?;
        let kind = &bytes[at + 4..at + 8];
        let data = bytes.get(at + 8..at.checked_add(8 + length)?)?;
        match kind {
            b"IHDR" if data.len() >= 13 => header = Some(data),
            b"PLTE" => palette = data,
            b"tRNS" => transparency = data,
            b"IDAT" => compressed.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + length;
    }
    let header = header?;
    let width = u32::from_be_bytes(header[0..4].try_into().ok()?);
    let height = u32::from_be_bytes(header[4..8].try_into().ok()?);
    let (depth, color_type, interlace) = (header[8], header[9], header[12]);
    if depth != 8 || interlace != 0 || width == 0 || height == 0 {
        return None;
    }
    if width > SIDE_MAX || height > SIDE_MAX {
        return None;
    }
    let channels: usize = match color_type {
        0 | 3 => 1,
        2 => 3,
        4 => 2,
        6 => 4,
        _ => return None,
    };
    let (w, h) = (usize::try_from(width).ok()?, usize::try_from(height).ok()?);
    let stride = w * channels;
    let expected = (stride + 1) * h;
    let mut raw = Vec::with_capacity(expected);
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .take(u64::try_from(expected).ok()?)
        .read_to_end(&mut raw)
        .ok()?;
    if raw.len() != expected {
        return None;
    }
    let pixels = unfilter(&raw, stride, h, channels)?;
    let mut color = Vec::with_capacity(w * h * 3);
    let mut alpha = Vec::with_capacity(w * h);
    let colors = match color_type {
        0 => {
            color = pixels;
            Colors::Gray
        }
        2 => {
            color = pixels;
            Colors::Rgb
        }
        4 => {
            for pixel in pixels.chunks_exact(2) {
                color.push(pixel[0]);
                alpha.push(pixel[1]);
            }
            Colors::Gray
        }
        6 => {
            for pixel in pixels.chunks_exact(4) {
                color.extend_from_slice(&pixel[..3]);
                alpha.push(pixel[3]);
            }
            Colors::Rgb
        }
        _ => {
            for &index in &pixels {
                let entry = usize::from(index) * 3;
                color.extend_from_slice(palette.get(entry..entry + 3)?);
                alpha.push(transparency.get(usize::from(index)).copied().unwrap_or(255));
            }
            Colors::Rgb
        }
    };
    let alpha = (!alpha.is_empty() && alpha.iter().any(|&a| a != 255)).then(|| deflate(&alpha));
    Some(PdfImage {
        width,
        height,
        colors,
        jpeg: false,
        data: deflate(&color),
        alpha,
    })
}

/// The pixels of `raw` (each row a filter byte and `stride` bytes) with the PNG filters undone.
fn unfilter(raw: &[u8], stride: usize, rows: usize, channels: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; stride * rows];
    for row in 0..rows {
        let line = &raw[row * (stride + 1)..(row + 1) * (stride + 1)];
        let (filter, line) = (line[0], &line[1..]);
        for i in 0..stride {
            let left = if i >= channels {
                out[row * stride + i - channels]
            } else {
                0
            };
            let up = if row > 0 {
                out[(row - 1) * stride + i]
            } else {
                0
            };
            let up_left = if row > 0 && i >= channels {
                out[(row - 1) * stride + i - channels]
            } else {
                0
            };
            let predicted = match filter {
                0 => 0,
                1 => left,
                2 => up,
                3 => u8::try_from((u16::from(left) + u16::from(up)) / 2).unwrap_or(0),
                4 => paeth(left, up, up_left),
                _ => return None,
            };
            out[row * stride + i] = line[i].wrapping_add(predicted);
        }
    }
    Some(out)
}

/// The Paeth predictor of the PNG specification.
fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// `bytes` zlib-compressed, for a `FlateDecode` stream.
pub(super) fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG of `width`×1 RGBA pixels, each row with `filter`.
    fn rgba_png(pixels: &[[u8; 4]], filter: u8) -> Vec<u8> {
        let mut raw = vec![filter];
        let mut previous = [0u8; 4];
        for pixel in pixels {
            for c in 0..4 {
                // Filter 1 (sub) stores the difference from the pixel on the left.
                raw.push(if filter == 1 {
                    pixel[c].wrapping_sub(previous[c])
                } else {
                    pixel[c]
                });
            }
            previous = *pixel;
        }
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            out.extend_from_slice(&[0, 0, 0, 0]);
            out
        };
        let mut header = u32::try_from(pixels.len()).unwrap().to_be_bytes().to_vec();
        header.extend_from_slice(&1u32.to_be_bytes());
        header.extend_from_slice(&[8, 6, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &header));
        png.extend(chunk(b"IDAT", &deflate(&raw)));
        png.extend(chunk(b"IEND", &[]));
        png
    }

    fn inflate(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn a_transparent_png_splits_into_colour_and_alpha() {
        let pixels = [[10, 20, 30, 255], [40, 50, 60, 0], [70, 80, 90, 128]];
        for filter in [0, 1] {
            let image = pdf_image(LogoType::Png, &rgba_png(&pixels, filter)).unwrap();
            assert_eq!(
                (image.width, image.height, image.colors),
                (3, 1, Colors::Rgb)
            );
            assert_eq!(
                inflate(&image.data),
                vec![10, 20, 30, 40, 50, 60, 70, 80, 90]
            );
            assert_eq!(inflate(&image.alpha.unwrap()), vec![255, 0, 128]);
        }
    }

    #[test]
    fn a_jpeg_keeps_its_bytes_and_reads_its_size() {
        // SOI, an APP0 of 2 bytes, then a baseline SOF0 of 40×30 pixels in 3 components.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0xFF, 0xC0, 0x00, 0x11, 8, 0, 30, 0, 40, 3, 1,
            0x11, 0, 2, 0x11, 0, 3, 0x11, 0,
        ];
        let image = pdf_image(LogoType::Jpeg, &jpeg).unwrap();
        assert_eq!(
            (image.width, image.height, image.colors),
            (40, 30, Colors::Rgb)
        );
        assert!(image.jpeg);
        assert_eq!(image.data, jpeg.to_vec());
    }

    #[test]
    fn a_broken_picture_is_left_off() {
        assert_eq!(pdf_image(LogoType::Png, b"\x89PNG\r\n\x1a\ngarbage"), None);
        assert_eq!(pdf_image(LogoType::Jpeg, &[0xFF, 0xD8, 0xFF]), None);
    }
}
