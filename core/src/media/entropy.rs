//! Completeness check of a JPEG's entropy-coded data, beside (or, for header bombs, before) decoding.
//!
//! Decoders (jpeg-decoder among them) fill a scan that ends early with zeros and return a
//! picture whose missing part is one flat colour: a photo cut at half with an end marker
//! appended, or a 166-byte file declaring 10000 x 10000, decodes "successfully". This module
//! walks the scans with a Huffman-only pass (symbols are decoded, coefficient bits skipped,
//! nothing is stored) and counts MCUs: every sequential scan must deliver all its MCUs, and in
//! a progressive image the first DC scan of every component must. A scan whose data runs out
//! first is [`MediaError::Truncated`]; a Huffman code that matches no symbol, a coefficient
//! index past 63 or a missing restart marker is [`MediaError::Corrupt`]. Progressive AC
//! refinement scans are skipped: a cut there loses detail, not part of the picture.
//!
//! It owns no decoding and allocates only the Huffman tables (a few KB).

use super::error::MediaError;

/// One Huffman table, canonical form (ITU T.81 annex C/F), with a 9-bit lookup.
#[derive(Clone)]
struct Huffman {
    /// `(length << 8) | symbol` for codes of up to `FAST` bits, 0 for longer ones.
    fast: Vec<u16>,
    /// Per length 1..=16: largest code of that length (or -1), and the index of its first symbol
    /// minus its first code.
    max_code: [i32; 17],
    offset: [i32; 17],
    symbols: Vec<u8>,
}

const FAST: u32 = 9;

impl Huffman {
    fn parse(counts: &[u8], symbols: &[u8]) -> Result<Self, MediaError> {
        let mut max_code = [-1i32; 17];
        let mut offset = [0i32; 17];
        let mut fast = vec![0u16; 1 << FAST];
        let (mut code, mut k) = (0i32, 0usize);
        for len in 1..=16usize {
            let n = usize::from(counts[len - 1]);
            offset[len] = k as i32 - code;
            for _ in 0..n {
                if len as u32 <= FAST {
                    let shift = FAST - len as u32;
                    let base = (code as usize) << shift;
                    for slot in &mut fast[base..base + (1 << shift)] {
                        *slot = ((len as u16) << 8) | u16::from(symbols[k]);
                    }
                }
                code += 1;
                k += 1;
            }
            if n > 0 {
                max_code[len] = code - 1;
            }
            if code > (1 << len) {
                return Err(MediaError::corrupt("JPEG has an invalid Huffman table"));
            }
            code <<= 1;
        }
        Ok(Huffman {
            fast,
            max_code,
            offset,
            symbols: symbols.to_vec(),
        })
    }
}

/// Bits of one entropy-coded segment; stops at the next marker and pads with zeros after it,
/// counting which bits are real so that reading padding is detected.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    /// Bits in `acc`, the next one at bit `count - 1`.
    count: u32,
    /// How many of those are real data (the rest is padding after a marker or the end).
    real: u32,
    at_marker: bool,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Bits {
            data,
            pos,
            acc: 0,
            count: 0,
            real: 0,
            at_marker: false,
        }
    }

    fn fill(&mut self) {
        while self.count <= 56 {
            let mut byte = 0;
            if !self.at_marker {
                match self.data.get(self.pos) {
                    Some(0xFF) if self.data.get(self.pos + 1) == Some(&0) => {
                        byte = 0xFF;
                        self.pos += 2;
                        self.real += 8;
                    }
                    Some(0xFF) | None => self.at_marker = true,
                    Some(&b) => {
                        byte = b;
                        self.pos += 1;
                        self.real += 8;
                    }
                }
            }
            self.acc = (self.acc << 8) | u64::from(byte);
            self.count += 8;
        }
    }

    fn peek(&mut self, n: u32) -> u32 {
        if self.count < n {
            self.fill();
        }
        ((self.acc >> (self.count - n)) & ((1u64 << n) - 1)) as u32
    }

    fn consume(&mut self, n: u32) -> Result<(), MediaError> {
        if n > self.real {
            return Err(MediaError::Truncated);
        }
        self.count -= n;
        self.real -= n;
        Ok(())
    }

    fn skip(&mut self, n: u32) -> Result<(), MediaError> {
        if self.count < n {
            self.fill();
        }
        self.consume(n)
    }

    fn symbol(&mut self, table: &Huffman) -> Result<u8, MediaError> {
        let entry = table.fast[self.peek(FAST) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8))?;
            return Ok(entry as u8);
        }
        let bits = self.peek(16);
        for len in FAST + 1..=16 {
            let code = (bits >> (16 - len)) as i32;
            if code <= table.max_code[len as usize] {
                self.consume(len)?;
                let index = usize::try_from(code + table.offset[len as usize])
                    .map_err(|_| MediaError::corrupt("JPEG has an invalid Huffman table"))?;
                return table
                    .symbols
                    .get(index)
                    .copied()
                    .ok_or_else(|| MediaError::corrupt("JPEG has an invalid Huffman table"));
            }
        }
        // Zero padding matched nothing: the data ran out; otherwise the bits are damaged.
        self.consume(16)?;
        Err(MediaError::corrupt("JPEG image data is damaged"))
    }

    /// At a restart boundary: drop the partial byte, expect an RSTn marker.
    fn restart(&mut self) -> Result<(), MediaError> {
        self.acc = 0;
        self.count = 0;
        self.real = 0;
        self.at_marker = false;
        while self.data.get(self.pos) == Some(&0xFF) && self.data.get(self.pos + 1) == Some(&0xFF) {
            self.pos += 1;
        }
        match (self.data.get(self.pos), self.data.get(self.pos + 1)) {
            (Some(0xFF), Some(0xD0..=0xD7)) => {
                self.pos += 2;
                Ok(())
            }
            (Some(0xFF), _) | (None, _) => Err(MediaError::Truncated),
            _ => Err(MediaError::corrupt("JPEG restart marker missing")),
        }
    }
}

struct Component {
    id: u8,
    h: u32,
    v: u32,
}

struct Scan {
    /// Index into the frame's components, DC and AC table of each.
    members: Vec<(usize, usize, usize)>,
    spectral_start: u8,
    approx_high: u8,
}

/// Checks every scan of `input` (a JPEG whose header [`super::sniff`] accepted).
pub(crate) fn check(input: &[u8]) -> Result<(), MediaError> {
    let mut dc: [Option<Huffman>; 4] = Default::default();
    let mut ac: [Option<Huffman>; 4] = Default::default();
    let mut restart_interval = 0u32;
    let mut frame: Option<(u32, u32, bool, Vec<Component>)> = None;
    let mut complete = [false; 4];
    let mut i = 2;
    loop {
        // Fill bytes, then a marker; the end of the input ends the walk.
        while input.get(i) == Some(&0xFF) && input.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(0xFF), Some(&marker)) = (input.get(i), input.get(i + 1)) else {
            break;
        };
        i += 2;
        match marker {
            0xD9 => break,
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let len = input
            .get(i..i + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or(MediaError::Truncated)?;
        let payload = input.get(i + 2..i + len.max(2)).ok_or(MediaError::Truncated)?;
        i += len.max(2);
        match marker {
            0xC0..=0xC2 => frame = Some(parse_frame(payload, marker == 0xC2)?),
            0xC4 => parse_tables(payload, &mut dc, &mut ac)?,
            0xDD => {
                restart_interval = payload
                    .get(0..2)
                    .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]])))
                    .ok_or_else(|| MediaError::corrupt("JPEG restart interval segment too short"))?;
            }
            0xDA => {
                let (width, height, progressive, components) = frame
                    .as_ref()
                    .ok_or_else(|| MediaError::corrupt("JPEG scan data before its frame header"))?;
                let scan = parse_scan(payload, components)?;
                let counts = !*progressive || (scan.spectral_start == 0 && scan.approx_high == 0);
                i = if counts {
                    let geometry = (*width, *height, components.as_slice());
                    let end = decode_scan(
                        input,
                        i,
                        &scan,
                        geometry,
                        *progressive,
                        restart_interval,
                        &dc,
                        &ac,
                    )?;
                    for &(c, _, _) in &scan.members {
                        complete[c] = true;
                    }
                    end
                } else {
                    i
                };
                i = next_marker(input, i);
            }
            _ => {}
        }
    }
    let Some((_, _, _, components)) = frame else {
        return Err(MediaError::corrupt("JPEG ends before any image frame"));
    };
    if complete.iter().take(components.len()).all(|&c| c) {
        Ok(())
    } else {
        Err(MediaError::Truncated)
    }
}

type Geometry<'a> = (u32, u32, &'a [Component]);

/// Walks one scan's MCUs; returns the position after its data.
#[allow(clippy::too_many_arguments)]
fn decode_scan(
    input: &[u8],
    start: usize,
    scan: &Scan,
    (width, height, components): Geometry<'_>,
    progressive: bool,
    restart_interval: u32,
    dc: &[Option<Huffman>; 4],
    ac: &[Option<Huffman>; 4],
) -> Result<usize, MediaError> {
    let h_max = components.iter().map(|c| c.h).max().unwrap_or(1);
    let v_max = components.iter().map(|c| c.v).max().unwrap_or(1);
    let missing_table = || MediaError::corrupt("JPEG scan uses an undefined Huffman table");
    // (dc table, ac table, blocks per MCU) per scan member.
    let mut plan = Vec::with_capacity(scan.members.len());
    let mcus = if let [(c, _, _)] = scan.members[..] {
        // Non-interleaved: one block per MCU over the component's own block grid.
        let comp = &components[c];
        let w = (width * comp.h).div_ceil(h_max).div_ceil(8);
        let h = (height * comp.v).div_ceil(v_max).div_ceil(8);
        u64::from(w) * u64::from(h)
    } else {
        u64::from(width.div_ceil(8 * h_max)) * u64::from(height.div_ceil(8 * v_max))
    };
    for &(c, d, a) in &scan.members {
        let blocks = if scan.members.len() == 1 {
            1
        } else {
            components[c].h * components[c].v
        };
        let dc_table = dc[d].as_ref().ok_or_else(missing_table)?;
        let ac_table = if progressive {
            None
        } else {
            Some(ac[a].as_ref().ok_or_else(missing_table)?)
        };
        plan.push((dc_table, ac_table, blocks));
    }
    let mut bits = Bits::new(input, start);
    for mcu in 0..mcus {
        if restart_interval > 0 && mcu > 0 && mcu % u64::from(restart_interval) == 0 {
            bits.restart()?;
        }
        for &(dc_table, ac_table, blocks) in &plan {
            for _ in 0..blocks {
                let size = u32::from(bits.symbol(dc_table)?);
                if size > 11 {
                    return Err(MediaError::corrupt("JPEG image data is damaged"));
                }
                bits.skip(size)?;
                let Some(ac_table) = ac_table else { continue };
                let mut k = 1;
                while k < 64 {
                    let rs = bits.symbol(ac_table)?;
                    let (run, size) = (u32::from(rs >> 4), u32::from(rs & 0x0F));
                    if size == 0 {
                        if run != 15 {
                            break; // end of block
                        }
                        k += 16;
                        continue;
                    }
                    k += run;
                    if k > 63 {
                        return Err(MediaError::corrupt("JPEG image data is damaged"));
                    }
                    bits.skip(size)?;
                    k += 1;
                }
            }
        }
    }
    Ok(bits.pos)
}

/// The position of the next marker other than RSTn (the end of the input if none).
fn next_marker(input: &[u8], mut i: usize) -> usize {
    while i + 1 < input.len() {
        if input[i] == 0xFF && !matches!(input[i + 1], 0x00 | 0xFF | 0xD0..=0xD7) {
            return i;
        }
        i += 1;
    }
    input.len()
}

fn parse_frame(p: &[u8], progressive: bool) -> Result<(u32, u32, bool, Vec<Component>), MediaError> {
    let short = || MediaError::corrupt("JPEG frame header too short");
    let height = u32::from(u16::from_be_bytes([
        *p.get(1).ok_or_else(short)?,
        *p.get(2).ok_or_else(short)?,
    ]));
    let width = u32::from(u16::from_be_bytes([
        *p.get(3).ok_or_else(short)?,
        *p.get(4).ok_or_else(short)?,
    ]));
    let count = usize::from(*p.get(5).ok_or_else(short)?);
    let mut components = Vec::with_capacity(count);
    for c in 0..count.min(4) {
        let spec = p.get(6 + 3 * c..8 + 3 * c).ok_or_else(short)?;
        components.push(Component {
            id: spec[0],
            h: u32::from(spec[1] >> 4).max(1),
            v: u32::from(spec[1] & 0x0F).max(1),
        });
    }
    Ok((width, height, progressive, components))
}

fn parse_tables(
    mut p: &[u8],
    dc: &mut [Option<Huffman>; 4],
    ac: &mut [Option<Huffman>; 4],
) -> Result<(), MediaError> {
    let bad = || MediaError::corrupt("JPEG has an invalid Huffman table");
    while let Some(&class_id) = p.first() {
        let counts = p.get(1..17).ok_or_else(bad)?;
        let total: usize = counts.iter().map(|&n| usize::from(n)).sum();
        let symbols = p.get(17..17 + total).ok_or_else(bad)?;
        if total > 256 || class_id & 0x0F > 3 || class_id >> 4 > 1 {
            return Err(bad());
        }
        let table = Huffman::parse(counts, symbols)?;
        let slot = usize::from(class_id & 0x0F);
        if class_id >> 4 == 0 {
            dc[slot] = Some(table);
        } else {
            ac[slot] = Some(table);
        }
        p = &p[17 + total..];
    }
    Ok(())
}

fn parse_scan(p: &[u8], components: &[Component]) -> Result<Scan, MediaError> {
    let bad = || MediaError::corrupt("JPEG scan header is invalid");
    let count = usize::from(*p.first().ok_or_else(bad)?);
    if !(1..=4).contains(&count) {
        return Err(bad());
    }
    let mut members = Vec::with_capacity(count);
    for n in 0..count {
        let spec = p.get(1 + 2 * n..3 + 2 * n).ok_or_else(bad)?;
        let index = components.iter().position(|c| c.id == spec[0]).ok_or_else(bad)?;
        let (d, a) = (usize::from(spec[1] >> 4), usize::from(spec[1] & 0x0F));
        if d > 3 || a > 3 {
            return Err(bad());
        }
        members.push((index, d, a));
    }
    let tail = p.get(1 + 2 * count..4 + 2 * count).ok_or_else(bad)?;
    Ok(Scan {
        members,
        spectral_start: tail[0],
        approx_high: tail[2] >> 4,
    })
}
