//! Tag ordering (`PrioritizeTags`, §10.6 and cli §A3): `latest` first, then minor versions newest
//! first, then full semantic versions newest first, then everything else lexicographically.

use std::cmp::Ordering;

/// A parsed semantic version (strict semver 2.0: no leading zeros, optional pre-release).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SemVer {
    /// Major version.
    pub major: u64,
    /// Minor version.
    pub minor: u64,
    /// Patch version.
    pub patch: u64,
    /// Pre-release identifiers (`rc.1` → `["rc", "1"]`).
    pub pre: Vec<String>,
}

fn numeric(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl SemVer {
    /// Parse `MAJOR.MINOR.PATCH[-pre][+build]` strictly.
    pub fn parse(s: &str) -> Option<SemVer> {
        let s = match s.split_once('+') {
            Some((v, build)) => {
                let ok = build.split('.').all(|p| {
                    !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
                if !ok {
                    return None;
                }
                v
            }
            None => s,
        };
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let mut parts = core.split('.');
        let (major, minor, patch) = (
            numeric(parts.next()?)?,
            numeric(parts.next()?)?,
            numeric(parts.next()?)?,
        );
        if parts.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => {
                let ids: Vec<String> = p.split('.').map(str::to_owned).collect();
                let valid = ids.iter().all(|id| {
                    !id.is_empty()
                        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                        && (!id.bytes().all(|b| b.is_ascii_digit()) || numeric(id).is_some())
                });
                if !valid {
                    return None;
                }
                ids
            }
        };
        Some(SemVer {
            major,
            minor,
            patch,
            pre,
        })
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let ord = match (numeric(a), numeric(b)) {
                            (Some(x), Some(y)) => x.cmp(&y),
                            (Some(_), None) => Ordering::Less,
                            (None, Some(_)) => Ordering::Greater,
                            (None, None) => a.cmp(b),
                        };
                        if ord != Ordering::Equal {
                            return ord;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Priority class of a tag, in sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TagPriority {
    /// `latest`.
    Latest,
    /// `5.1`, `v5.1`, `5.1-rc1`.
    Minor,
    /// `5.1.3`, `v5.1.3-x`.
    Full,
    /// Anything else.
    Other,
}

/// Classify a tag; returns its priority, its version (for Minor/Full) and its `v` prefix.
pub fn classify_tag(tag: &str) -> (TagPriority, Option<SemVer>, &str) {
    if tag == "latest" {
        return (TagPriority::Latest, None, "");
    }
    let (prefix, short) = match tag.strip_prefix('v') {
        Some(rest) => ("v", rest),
        None => ("", tag),
    };
    if let Some(v) = SemVer::parse(short) {
        return (TagPriority::Full, Some(v), prefix);
    }
    let is_minor = |s: &str| {
        let mut p = s.split('.');
        matches!((p.next(), p.next(), p.next()), (Some(a), Some(b), None)
            if !a.is_empty() && !b.is_empty() && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()))
    };
    if is_minor(short)
        && let Some(v) = SemVer::parse(&format!("{short}.0"))
    {
        return (TagPriority::Minor, Some(v), prefix);
    }
    if let Some((minor, rest)) = short.split_once('-')
        && is_minor(minor)
        && !rest.is_empty()
        && rest
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        && let Some(v) = SemVer::parse(&format!("{minor}.0-{rest}"))
    {
        return (TagPriority::Minor, Some(v), prefix);
    }
    (TagPriority::Other, None, prefix)
}

/// Compare two tags by import/display priority.
pub fn compare_tags(a: &str, b: &str) -> Ordering {
    let (pa, va, xa) = classify_tag(a);
    let (pb, vb, xb) = classify_tag(b);
    pa.cmp(&pb).then_with(|| match pa {
        TagPriority::Other => a.cmp(b),
        TagPriority::Latest => Ordering::Equal,
        _ => vb.cmp(&va).then_with(|| xa.cmp(xb)),
    })
}

/// Sort tags in priority order (`latest`, minor newest first, full newest first, others).
pub fn prioritize_tags(tags: &mut [String]) {
    tags.sort_by(|a, b| compare_tags(a, b));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §10.6 / cli §A3: the documented order.
    #[test]
    fn s10_6_priority_order() {
        let mut tags: Vec<String> = [
            "other",
            "v5.1",
            "5.1.3",
            "latest",
            "5.2",
            "v5.1.3-x",
            "5.1-rc1",
            "abc",
            "5.1",
            "6.0.0",
            "1.0.0-alpha",
            "1.0.0",
        ]
        .map(str::to_owned)
        .to_vec();
        prioritize_tags(&mut tags);
        assert_eq!(
            tags,
            vec![
                "latest",
                "5.2",
                "5.1",
                "v5.1",
                "5.1-rc1",
                "6.0.0",
                "5.1.3",
                "v5.1.3-x",
                "1.0.0",
                "1.0.0-alpha",
                "abc",
                "other"
            ]
        );
    }

    #[test]
    fn semver_parse_and_order() {
        assert!(SemVer::parse("1.2.3").is_some());
        assert!(SemVer::parse("01.2.3").is_none());
        assert!(SemVer::parse("1.2").is_none());
        assert!(SemVer::parse("1.2.3-").is_none());
        assert!(SemVer::parse("1.2.3-01").is_none());
        assert!(SemVer::parse("1.2.3+build.5").is_some());
        let v = |s| SemVer::parse(s).unwrap();
        assert!(v("1.0.0-alpha") < v("1.0.0-alpha.1"));
        assert!(v("1.0.0-alpha.1") < v("1.0.0-alpha.beta"));
        assert!(v("1.0.0-beta.2") < v("1.0.0-beta.11"));
        assert!(v("1.0.0-rc.1") < v("1.0.0"));
        assert_eq!(v("1.0.0+a").cmp(&v("1.0.0+b")), Ordering::Equal);
    }

    #[test]
    fn classify() {
        assert_eq!(classify_tag("latest").0, TagPriority::Latest);
        assert_eq!(classify_tag("v1.2").0, TagPriority::Minor);
        assert_eq!(classify_tag("1.2-rc1").0, TagPriority::Minor);
        assert_eq!(classify_tag("1.2.3").0, TagPriority::Full);
        assert_eq!(classify_tag("1.2.3.4").0, TagPriority::Other);
        assert_eq!(classify_tag("").0, TagPriority::Other);
        assert_eq!(classify_tag("v").0, TagPriority::Other);
    }
}
