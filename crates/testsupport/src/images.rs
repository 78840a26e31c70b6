//! Test images built offline with `umoci` in an OCI layout, plus multi-platform indexes (the
//! `mkindex.py` of test-peers §3, ported): an OCI image index over existing tags, with each
//! child's platform read from its config.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use tagplane_core::manifest::{MEDIA_TYPE_OCI_INDEX, sha256_digest};
use tempfile::TempDir;

const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Run a command; panic with its stderr when it fails. Returns stdout.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An OCI image layout in a temp dir.
pub struct Layout {
    /// Path of the layout.
    pub path: PathBuf,
    dir: TempDir,
}

impl Layout {
    /// `umoci init` a fresh layout.
    pub fn new() -> Layout {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("oci");
        run(Command::new("umoci").arg("init").arg("--layout").arg(&path));
        Layout { path, dir }
    }

    fn image_arg(&self, tag: &str) -> String {
        format!("{}:{tag}", self.path.display())
    }

    /// Build image `tag`: one layer holding `/etc/hello.txt` = `content`, `Cmd` `/bin/hello`,
    /// label `app=demo`, platform `os/arch`. Returns its manifest digest.
    pub fn image(&self, tag: &str, content: &str, arch: &str, os: &str) -> String {
        let image = self.image_arg(tag);
        run(Command::new("umoci").args(["new", "--image", &image]));
        let file = self.dir.path().join(format!("hello-{tag}.txt"));
        std::fs::write(&file, content).unwrap();
        run(Command::new("umoci")
            .args(["insert", "--image", &image])
            .arg(&file)
            .arg("/etc/hello.txt"));
        run(Command::new("umoci").args([
            "config",
            "--image",
            &image,
            "--config.cmd",
            "/bin/hello",
            "--config.label",
            "app=demo",
            "--architecture",
            arch,
            "--os",
            os,
        ]));
        self.digest(tag)
    }

    fn index_json(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.path.join("index.json")).unwrap()).unwrap()
    }

    fn descriptor(&self, tag: &str) -> Value {
        self.index_json()["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["annotations"][REF_NAME] == tag)
            .unwrap_or_else(|| panic!("no tag {tag} in layout"))
            .clone()
    }

    /// The manifest (or index) digest of `tag`.
    pub fn digest(&self, tag: &str) -> String {
        self.descriptor(tag)["digest"].as_str().unwrap().to_owned()
    }

    /// A blob by digest.
    pub fn blob(&self, digest: &str) -> Vec<u8> {
        let hex = digest.strip_prefix("sha256:").unwrap();
        std::fs::read(self.path.join("blobs/sha256").join(hex)).unwrap()
    }

    /// The manifest bytes of `tag`.
    pub fn manifest(&self, tag: &str) -> Vec<u8> {
        self.blob(&self.digest(tag))
    }

    /// The config bytes of single-image `tag`.
    pub fn config(&self, tag: &str) -> Vec<u8> {
        let manifest: Value = serde_json::from_slice(&self.manifest(tag)).unwrap();
        self.blob(manifest["config"]["digest"].as_str().unwrap())
    }

    /// Add an OCI image index `tag` over the images `sources` (platforms from their configs),
    /// replacing any earlier `tag`. Returns the index digest.
    pub fn index(&self, tag: &str, sources: &[&str]) -> String {
        let manifests: Vec<Value> = sources
            .iter()
            .map(|src| {
                let d = self.descriptor(src);
                let config: Value = serde_json::from_slice(&self.config(src)).unwrap();
                json!({
                    "mediaType": d["mediaType"],
                    "digest": d["digest"],
                    "size": d["size"],
                    "platform": {"architecture": config["architecture"], "os": config["os"]},
                })
            })
            .collect();
        let body = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_OCI_INDEX,
            "manifests": manifests,
        }))
        .unwrap();
        let digest = sha256_digest(&body);
        let hex = digest.strip_prefix("sha256:").unwrap();
        std::fs::write(self.path.join("blobs/sha256").join(hex), &body).unwrap();
        let mut index = self.index_json();
        let list = index["manifests"].as_array_mut().unwrap();
        list.retain(|m| m["annotations"][REF_NAME] != tag);
        list.push(json!({
            "mediaType": MEDIA_TYPE_OCI_INDEX,
            "digest": digest,
            "size": body.len(),
            "annotations": {REF_NAME: tag},
        }));
        std::fs::write(
            self.path.join("index.json"),
            serde_json::to_vec(&index).unwrap(),
        )
        .unwrap();
        digest
    }
}
