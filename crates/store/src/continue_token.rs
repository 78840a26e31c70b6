//! Continue tokens: opaque to clients; they carry the snapshot revision of the list and the key
//! to resume after, in Kubernetes' `{"v","rv","start"}` JSON, base64url-encoded.

use serde::{Deserialize, Serialize};

use crate::{Prefix, Result, Revision, StoreError};

/// A decoded continue token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinueToken {
    /// Format version (`meta.k8s.io/v1`).
    pub v: String,
    /// Snapshot revision of the list.
    pub rv: u64,
    /// Resume strictly after this key (relative to the prefix).
    pub start: String,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

impl ContinueToken {
    /// A token resuming after `last_key` (a full encoded key under `prefix`) at `rv`.
    pub fn encode(prefix: &Prefix, rv: Revision, last_key: &str) -> String {
        let start = last_key
            .strip_prefix(prefix.as_str())
            .unwrap_or(last_key)
            .to_owned();
        let token = ContinueToken {
            v: "meta.k8s.io/v1".into(),
            rv: rv.get(),
            start,
        };
        encode(&serde_json::to_vec(&token).unwrap_or_default())
    }

    /// Decode a token; returns the snapshot revision and the full key to resume after.
    pub fn decode(prefix: &Prefix, token: &str) -> Result<(Revision, String)> {
        let bad = |why: &str| StoreError::InvalidContinue(why.to_owned());
        let bytes = decode(token).ok_or_else(|| bad("not base64url"))?;
        let t: ContinueToken =
            serde_json::from_slice(&bytes).map_err(|_| bad("not a continue token"))?;
        if t.v != "meta.k8s.io/v1" || t.rv == 0 {
            return Err(bad("unknown version"));
        }
        if t.start.contains('\0') {
            return Err(bad("bad start key"));
        }
        Ok((
            Revision::new(t.rv),
            format!("{}{}", prefix.as_str(), t.start),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_garbage() {
        let p = Prefix::namespace("imagestreams", "demo").unwrap();
        let t = ContinueToken::encode(&p, Revision::new(42), "/imagestreams/demo/app");
        assert_eq!(
            ContinueToken::decode(&p, &t).unwrap(),
            (Revision::new(42), "/imagestreams/demo/app".into())
        );
        for g in [
            "",
            "!!!",
            "e30",
            &encode(b"{\"v\":\"x\",\"rv\":1,\"start\":\"a\"}"),
        ] {
            assert!(ContinueToken::decode(&p, g).is_err(), "{g}");
        }
        for n in 0..20 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37) as u8).collect();
            assert_eq!(decode(&encode(&data)).unwrap(), data);
        }
    }
}
