//! Property tests: arbitrary input to the decoders and patchers the API server exposes to
//! clients is an error or a result, never a panic. A small deterministic generator (seeded
//! xorshift) produces random bytes, random JSON and mutations of valid bodies.

use berth_api::Object;
use berth_api::selector::{FieldSelector, LabelSelector};
use serde_json::{Map, Value, json};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max as u64) as usize;
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn key(&mut self) -> String {
        const KEYS: &[&str] = &[
            "metadata",
            "spec",
            "status",
            "name",
            "labels",
            "containers",
            "image",
            "ports",
            "containerPort",
            "env",
            "value",
            "$patch",
            "$retainKeys",
            "$setElementOrder/containers",
            "$deleteFromPrimitiveList/finalizers",
            "finalizers",
            "replicas",
            "template",
            "x",
        ];
        KEYS[self.below(KEYS.len() as u64) as usize].to_string()
    }

    fn json(&mut self, depth: u32) -> Value {
        match self.below(if depth == 0 { 4 } else { 7 }) {
            0 => Value::Null,
            1 => json!(self.below(3) == 0),
            2 => json!(self.below(1000) as i64 - 500),
            3 => json!(["replace", "delete", "merge", "web", "", "a"][self.below(6) as usize]),
            4 | 5 => {
                let mut map = Map::new();
                for _ in 0..self.below(4) {
                    map.insert(self.key(), self.json(depth - 1));
                }
                Value::Object(map)
            }
            _ => Value::Array((0..self.below(4)).map(|_| self.json(depth - 1)).collect()),
        }
    }
}

#[test]
fn protobuf_decoding_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let mut body = b"k8s\0".to_vec();
        body.extend(rng.bytes(64));
        let _ = berth_api::protobuf::decode(&body);
    }
    // Mutations of a valid envelope: bytes changed, lengths cut.
    let mut valid = b"k8s\0".to_vec();
    valid.extend_from_slice(&[0x0a, 0x0d, 0x0a, 0x07]);
    valid.extend_from_slice(b"apps/v1");
    valid.extend_from_slice(&[0x12, 0x02]);
    valid.extend_from_slice(b"Po");
    valid.extend_from_slice(&[0x12, 0x05, 0x0a, 0x03, 0x0a, 0x01, b'x']);
    for _ in 0..20_000 {
        let mut body = valid.clone();
        let i = 4 + rng.below((body.len() - 4) as u64) as usize;
        body[i] = rng.next() as u8;
        body.truncate(4 + rng.below((body.len() - 3) as u64) as usize);
        let _ = berth_api::protobuf::decode(&body);
    }
}

#[test]
fn strategic_merge_never_panics() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..20_000 {
        let original = rng.json(4);
        let patch = rng.json(4);
        for kind in ["Pod", "Deployment", "Service"] {
            let _ = berth_api::strategic_merge::apply(kind, &original, &patch);
        }
    }
}

#[test]
fn object_parsing_and_selectors_never_panic() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for _ in 0..20_000 {
        let value = rng.json(4);
        if let Ok(object) = serde_json::from_value::<Object>(value.clone()) {
            let _ = object.to_value();
        }
        let _ = berth_api::unknown_fields::unknown_fields("apps/v1", "Deployment", &value);
        let text: String = rng
            .bytes(24)
            .into_iter()
            .map(|b| (b % 96 + 32) as char)
            .collect();
        if let Ok(selector) = LabelSelector::parse(&text) {
            let _ = selector.matches(&Default::default());
        }
        if let Ok(selector) = FieldSelector::parse(&text) {
            let _ = selector.matches(&value);
        }
    }
}
