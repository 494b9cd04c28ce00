//! Contextual detectors: a provider's name next to a value of its key's documented shape.
//!
//! Hundreds of providers issue keys with no recognisable prefix (32 hex characters, a UUID,
//! 40 letters and digits): the only signal is the name the developer gave the setting,
//! `SCRAPERAPI_KEY = "..."`. Writing one hand regex per provider would cost 500 regexes to
//! review; instead each provider is one `[[contextual]]` row of data (its names, the value's
//! shape, its documentation), and this module turns a row into an ordinary detector:
//! keywords (the distinctive word of each name, or every spelling of it) and a confirming
//! regex built from one template. The names are not in the first prefilter stage: they are
//! searched only on lines holding one of [`TRIGGERS`], so rows cost nothing on other lines
//! or at start-up, and their regexes compile lazily like every embedded detector's.
//!
//! The shape grammar is deliberately small (literals and ASCII classes with counts) so that
//! the same shape both builds the regex and generates the synthetic values the self-test
//! runs every row against: each row is tested in several realistic settings (an env file, a
//! YAML key, JSON, code) and against negatives (no provider name, a value one character
//! short, a placeholder of the right length, a reference to a secret store).

use super::syntax::{ContextualSyntax, DetectorSyntax};
use std::fmt::Write;

/// Words an assignment of a key has on its line (`_API_KEY`, `.secret`, `Token`, `passwd`,
/// `auth`): the first prefilter stage looks for these, and only their lines are searched for
/// provider names. A row's name with none of them on its line is not a key's setting.
pub const TRIGGERS: &[&str] = &["key", "token", "secret", "pass", "auth"];

/// Bytes of name allowed between the provider's name and the separator (`_API_KEY`,
/// `.secretKey`, ` SECRET`).
const NAME_TAIL: usize = 24;
/// Shortest value a row may declare: shorter values are too ambiguous for name-only context.
pub const MIN_VALUE_LEN: usize = 16;
/// The `max` of an open-ended count.
const OPEN: usize = usize::MAX;
/// Shortest provider name: shorter ones occur inside unrelated words.
const MIN_NAME_LEN: usize = 4;

/// One piece of a value's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(u8),
    /// An ASCII class: its members, and how many of them.
    Class {
        members: Vec<u8>,
        min: usize,
        max: usize,
    },
}

/// A value's shape: literals and counted ASCII classes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape(Vec<Piece>);

impl Shape {
    /// Parse the grammar of `value` (see the module docs); the error says where it stops.
    pub fn parse(text: &str) -> Result<Shape, String> {
        let bytes = text.as_bytes();
        let mut pieces = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => {
                    let Some(&c) = bytes.get(i + 1) else {
                        return Err("value ends with a lone `\\`".into());
                    };
                    if c.is_ascii_alphanumeric() {
                        return Err(format!(
                            "`\\{}` is not allowed in a value: write the class out, e.g. `[0-9]`",
                            c as char
                        ));
                    }
                    pieces.push(Piece::Literal(c));
                    i += 2;
                }
                b'[' => {
                    let close = bytes[i..]
                        .iter()
                        .position(|&b| b == b']')
                        .map(|p| i + p)
                        .ok_or_else(|| format!("`[` at byte {i} is never closed"))?;
                    let members = class_members(&bytes[i + 1..close])
                        .map_err(|e| format!("class at byte {i}: {e}"))?;
                    let (min, max, next) = counts(bytes, close + 1).ok_or_else(|| {
                        format!("class at byte {i} needs a count `{{n}}` or `{{n,m}}`")
                    })?;
                    pieces.push(Piece::Class { members, min, max });
                    i = next;
                }
                c if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b':' | b'.') => {
                    pieces.push(Piece::Literal(c));
                    i += 1;
                }
                c => {
                    return Err(format!(
                        "`{}` at byte {i} is not part of the value grammar (literals, `[class]{{n}}`)",
                        c as char
                    ));
                }
            }
        }
        let shape = Shape(pieces);
        if shape.min_len() < MIN_VALUE_LEN {
            return Err(format!(
                "value is at least {} characters: shorter than {MIN_VALUE_LEN} is too ambiguous next to a name alone",
                shape.min_len()
            ));
        }
        Ok(shape)
    }

    fn min_len(&self) -> usize {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Literal(_) => 1,
                Piece::Class { min, .. } => *min,
            })
            .sum()
    }

    /// The regex for the value (case-sensitive, as documented).
    fn regex(&self) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Piece::Literal(c) => out.push_str(&regex_syntax_escape(*c)),
                Piece::Class { members, min, max } => {
                    let class = class_regex(members);
                    let _ = match *max {
                        m if m == *min => write!(out, "{class}{{{min}}}"),
                        OPEN => write!(out, "{class}{{{min},}}"),
                        m => write!(out, "{class}{{{min},{m}}}"),
                    };
                }
            }
        }
        out
    }

    /// Every byte that can occur in the value.
    fn alphabet(&self) -> Vec<u8> {
        let mut all: Vec<u8> = Vec::new();
        for p in &self.0 {
            match p {
                Piece::Literal(c) => all.push(*c),
                Piece::Class { members, .. } => all.extend(members),
            }
        }
        all.sort_unstable();
        all.dedup();
        all
    }

    /// A value of this shape drawn from `rng`: the shortest, or (`lengthen`) one whose
    /// classes are half-way between their bounds.
    fn sample(&self, rng: &mut SplitMix, lengthen: bool) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Piece::Literal(c) => out.push(*c as char),
                Piece::Class {
                    members, min, max, ..
                } => {
                    let n = match (lengthen, *max) {
                        (false, _) => *min,
                        (true, OPEN) => *min + 16,
                        (true, max) => (*min + max).div_ceil(2),
                    };
                    for _ in 0..n {
                        out.push(members[rng.below(members.len())] as char);
                    }
                }
            }
        }
        out
    }
}

fn regex_syntax_escape(c: u8) -> String {
    regex::escape(&(c as char).to_string())
}

/// A class written back from its members, runs as ranges and only the bytes a class
/// needs escaped escaped: the same regex whatever escapes the row used (`\/` is an error
/// for some regex engines, and the benchmarks hand these patterns to ripgrep).
fn class_regex(members: &[u8]) -> String {
    let mut out = String::from("[");
    let mut i = 0;
    while i < members.len() {
        let mut j = i;
        while j + 1 < members.len() && members[j + 1] == members[j] + 1 {
            j += 1;
        }
        let push = |out: &mut String, c: u8| {
            if matches!(c, b'\\' | b']' | b'[' | b'^' | b'-' | b'&' | b'~') {
                out.push('\\');
            }
            out.push(c as char);
        };
        push(&mut out, members[i]);
        if j >= i + 2 {
            out.push('-');
            push(&mut out, members[j]);
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out.push(']');
    out
}

/// The members of an ASCII class body (`a-zA-Z0-9_-`).
fn class_members(body: &[u8]) -> Result<Vec<u8>, String> {
    if body.is_empty() || body[0] == b'^' {
        return Err("a class lists its members (no negation)".into());
    }
    let mut members = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let c = match body[i] {
            b'\\' => {
                i += 1;
                *body.get(i).ok_or("class ends with `\\`")?
            }
            c => c,
        };
        if !c.is_ascii_graphic() {
            return Err(format!("byte {c:#x} in a class"));
        }
        if body.get(i + 1) == Some(&b'-') && i + 2 < body.len() {
            let end = body[i + 2];
            if end < c {
                return Err(format!("range `{}-{}` is reversed", c as char, end as char));
            }
            members.extend(c..=end);
            i += 3;
        } else {
            members.push(c);
            i += 1;
        }
    }
    members.sort_unstable();
    members.dedup();
    Ok(members)
}

/// `{n}` or `{n,m}` at `at`: (min, max, the index after it).
fn counts(bytes: &[u8], at: usize) -> Option<(usize, usize, usize)> {
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    let close = at + bytes[at..].iter().position(|&b| b == b'}')?;
    let inner = std::str::from_utf8(&bytes[at + 1..close]).ok()?;
    let (min, max) = match inner.split_once(',') {
        // Open-ended (`{10,}`): JWT-shaped keys, whose payload has no documented bound.
        Some((a, "")) => (a.parse().ok()?, OPEN),
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None => {
            let n = inner.parse().ok()?;
            (n, n)
        }
    };
    (min > 0 && min <= max && (max <= 512 || max == OPEN)).then_some((min, max, close + 1))
}

/// Every spelling of a provider name: `scraper api` is written `scraperapi`, `scraper_api`,
/// `scraper-api`, `scraper.api` and `scraper api`.
fn spellings(name: &str) -> Vec<String> {
    let words: Vec<&str> = name.split_whitespace().collect();
    if words.len() < 2 {
        return vec![name.to_string()];
    }
    ["", "_", "-", ".", " "]
        .iter()
        .map(|sep| words.join(sep))
        .collect()
}

/// Shortest word of a multi-word name that stands for the whole name in the prefilter.
const KEYWORD_WORD: usize = 6;

/// What the prefilter looks for to find a name: its longest word when that is distinctive
/// enough (`scraper` for `scraper api`: the regex then checks the rest), else every
/// spelling. Fewer, shorter keywords keep the name filter's table sparse and its hits few.
fn prefilter_words(name: &str) -> Vec<String> {
    let longest = name
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap_or(name);
    if longest.len() >= KEYWORD_WORD || longest == name {
        vec![longest.to_string()]
    } else {
        spellings(name)
    }
}

/// The regex of a name: its words joined by any of the separators, or none.
fn name_regex(name: &str) -> String {
    name.split_whitespace()
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join("[_.\\- ]?")
}

/// Check a row and turn it into the detector it stands for.
pub fn to_detector(row: &ContextualSyntax) -> Result<(DetectorSyntax, Shape), Vec<String>> {
    let mut problems = Vec::new();
    if row.names.is_empty() {
        problems.push("needs at least one name".to_string());
    }
    for n in &row.names {
        let letters = n.chars().filter(|c| !c.is_whitespace()).count();
        if letters < MIN_NAME_LEN
            || n.bytes()
                .any(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || b" _-.".contains(&b)))
        {
            problems.push(format!(
                "name `{n}` must be at least {MIN_NAME_LEN} lowercase letters or digits (a space stands for any separator)"
            ));
        }
    }
    if row.reference.trim().is_empty() {
        problems.push("needs the reference of the provider's documentation of the key".into());
    }
    let shape = match Shape::parse(&row.value) {
        Ok(s) => Some(s),
        Err(e) => {
            problems.push(e);
            None
        }
    };
    let Some(shape) = shape.filter(|_| problems.is_empty()) else {
        return Err(problems);
    };
    let mut keywords: Vec<String> = row.names.iter().flat_map(|n| prefilter_words(n)).collect();
    keywords.sort();
    keywords.dedup();
    // A keyword holding another of the row's keywords adds no hit the shorter one misses.
    let all = keywords.clone();
    keywords.retain(|k| {
        !all.iter()
            .any(|other| other != k && k.contains(other.as_str()))
    });
    let names = row
        .names
        .iter()
        .map(|n| name_regex(n))
        .collect::<Vec<_>>()
        .join("|");
    // The name part is case-insensitive; the value keeps the documented case. The value
    // ends at a delimiter, so a longer run of the same alphabet is not cut to fit.
    let regex = format!(
        r#"(?i:(?m:^)|[^a-z0-9])(?i:{names})[a-zA-Z0-9_.\- ]{{0,{NAME_TAIL}}}?["'\]]?[ \t]{{0,3}}(?:=>|:=|::|\?=|[:=,]|[ \t])[ \t]{{0,3}}["'`]?(?P<secret>{value})(?:["'`\s;,)}}\]<>&|\\]|$)"#,
        value = shape.regex()
    );
    let syntax = DetectorSyntax {
        id: row.id.clone(),
        name: row.name.clone(),
        provider: row.provider.clone(),
        kind: row.kind.clone(),
        keywords,
        regex,
        magic: Vec::new(),
        entropy: row.entropy,
        validate: None,
        generic: false,
        confidence: None,
        level: row.level,
        window: None,
        lookback: None,
        reference: Some(row.reference.clone()),
        examples: row.examples.clone(),
        negative_examples: row.negative_examples.clone(),
    };
    Ok((syntax, shape))
}

/// Generated self-test cases of a row: (examples, negatives), besides the row's own.
pub fn generated_cases(row: &ContextualSyntax, shape: &Shape) -> (Vec<String>, Vec<String>) {
    let mut rng = SplitMix::seeded(&row.id);
    let name = row.names[0].split_whitespace().collect::<Vec<_>>();
    let upper = name.join("_").to_ascii_uppercase();
    let camel: String = name
        .iter()
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                w.to_string()
            } else {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        })
        .collect();
    let mut value = |lengthen| random_value(shape, &mut rng, lengthen);
    let examples = vec![
        format!("{upper}_API_KEY={}", value(false)),
        format!("  {camel}Key: \"{}\"", value(false)),
        format!("  \"{}_secret\": \"{}\",", name.join("_"), value(false)),
        format!("{} = '{}'", name.join("_") + "_token", value(true)),
        format!("export {upper}_KEY=\"{}\"", value(false)),
    ];
    let v = value(false);
    let short = shortened(shape, &v);
    let mut negatives = vec![
        // The value alone, under an unrelated name: nothing ties it to the provider.
        format!("WIDGET_COLOUR_KEY={v}"),
        // The name says it is no secret.
        format!("{upper}_ACCOUNT_ID={v}"),
        // A reference, not a value.
        format!("{upper}_API_KEY=${{{upper}_API_KEY}}"),
        // A placeholder of the documented length.
        format!("{upper}_API_KEY={}", placeholder(shape)),
    ];
    if let Some(short) = short {
        negatives.push(format!("{upper}_API_KEY={short}"));
    }
    (examples, negatives)
}

/// A random value that looks random: a draw of `aaaa...` would rightly be refused as a
/// placeholder, so a few draws are allowed. The contextual filter is not consulted: a
/// value of the documented shape it refuses must fail the self-test.
fn random_value(shape: &Shape, rng: &mut SplitMix, lengthen: bool) -> String {
    let mut v = shape.sample(rng, lengthen);
    for _ in 0..8 {
        if super::filter::reject_any(v.as_bytes()).is_none()
            && super::filter::shannon_entropy(v.as_bytes()) >= super::GENERIC_DEFAULT_ENTROPY
        {
            break;
        }
        v = shape.sample(rng, lengthen);
    }
    v
}

/// The shortest value of the shape one character shorter, when that ends it inside its last
/// class (so it is no longer of the shape); `None` when the shape ends in a literal.
fn shortened(shape: &Shape, value: &str) -> Option<String> {
    let last = shape.0.last()?;
    match last {
        Piece::Class { min, .. } if *min > 1 => Some(value[..value.len() - 1].to_string()),
        _ => None,
    }
}

/// `x` repeated in the shape, keeping literals: the redacted form docs show.
fn placeholder(shape: &Shape) -> String {
    let alphabet = shape.alphabet();
    let fill = [b'x', b'X', b'0', b'*']
        .into_iter()
        .find(|c| alphabet.contains(c))
        .unwrap_or(alphabet[0]);
    shape
        .0
        .iter()
        .map(|p| match p {
            Piece::Literal(c) => (*c as char).to_string(),
            Piece::Class { min, .. } => (fill as char).to_string().repeat(*min),
        })
        .collect()
}

/// A small deterministic generator (SplitMix64) so generated cases are the same every run.
struct SplitMix(u64);

impl SplitMix {
    fn seeded(text: &str) -> SplitMix {
        SplitMix(text.bytes().fold(0x9E37_79B9_7F4A_7C15, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01B3)
        }))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_into_regexes_and_reject_what_the_generator_cannot_draw() {
        let s = Shape::parse("pk_[a-f0-9]{32}").unwrap();
        assert_eq!(s.regex(), "pk_[0-9a-f]{32}");
        // Escapes the row used are normalised: `\/` is no escape every engine accepts.
        let b64 = Shape::parse(r"[A-Za-z0-9+\/=]{40}").unwrap();
        assert_eq!(b64.regex(), "[+/-9=A-Za-z]{40}");
        assert_eq!(s.min_len(), 35);
        let uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
        assert_eq!(
            Shape::parse(uuid).unwrap().regex(),
            r"[0-9a-f]{8}\-[0-9a-f]{4}\-[0-9a-f]{4}\-[0-9a-f]{4}\-[0-9a-f]{12}"
        );
        for bad in [
            "[a-z]+",
            "(abc|def)[a-z]{20}",
            "\\w{32}",
            "[a-z]{8}",
            "[^a-z]{32}",
            "[z-a]{32}",
            "[a-z]{32",
        ] {
            assert!(Shape::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn a_multi_word_name_matches_every_separator_and_none() {
        assert_eq!(
            spellings("scraper api"),
            [
                "scraperapi",
                "scraper_api",
                "scraper-api",
                "scraper.api",
                "scraper api"
            ]
        );
        assert_eq!(spellings("ipstack"), ["ipstack"]);
    }

    #[test]
    fn samples_have_the_shape() {
        let shape = Shape::parse("sk_[A-Za-z0-9]{20,40}").unwrap();
        let regex = regex::Regex::new(&format!("^{}$", shape.regex())).unwrap();
        let mut rng = SplitMix::seeded("x");
        for _ in 0..50 {
            assert!(regex.is_match(&shape.sample(&mut rng, false)));
            assert!(regex.is_match(&shape.sample(&mut rng, true)));
        }
    }
}
