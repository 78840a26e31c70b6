//! kubectl's `-o jsonpath=` template subset: `{.a.b}`, `{.items[*].metadata.name}`, `[N]`,
//! `['key']`, `[?(@.f=="v")]` filters, `..name` recursive descent, `{range EXPR}…{end}` and
//! quoted literals such as `{"\n"}`. Several results of one expression are joined by spaces;
//! strings print raw, other values as compact JSON; missing keys print nothing (kubectl's
//! `--allow-missing-template-keys=true`).

use serde_json::Value;

use crate::error::CliError;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct JsonPath {
    source: String,
    nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    Path(Vec<Step>),
    Range(Vec<Step>, Vec<Node>),
}

#[derive(Debug, Clone)]
enum Step {
    /// `.name` / `['name']`.
    Field(String),
    /// `.*` / `[*]`.
    All,
    /// `[N]` (negative counts from the end).
    Index(i64),
    /// `[a:b]`.
    Slice(Option<i64>, Option<i64>),
    /// `..name`.
    Recursive(String),
    /// `[?(@.path OP literal)]` or `[?(@.path)]`.
    Filter(Vec<Step>, Option<(String, Value)>),
}

impl JsonPath {
    /// Parse a template.
    pub fn parse(template: &str) -> Result<JsonPath, CliError> {
        let err = |m: String| CliError::msg(format!("error parsing jsonpath {template}, {m}"));
        let mut nodes_stack: Vec<(Vec<Step>, Vec<Node>)> = Vec::new();
        let mut nodes: Vec<Node> = Vec::new();
        let chars: Vec<char> = template.chars().collect();
        let mut i = 0;
        let mut text = String::new();
        while i < chars.len() {
            if chars[i] != '{' {
                text.push(chars[i]);
                i += 1;
                continue;
            }
            if !text.is_empty() {
                nodes.push(Node::Text(std::mem::take(&mut text)));
            }
            // Find the closing brace outside quotes.
            let mut j = i + 1;
            let mut quote: Option<char> = None;
            while j < chars.len() {
                let c = chars[j];
                match quote {
                    Some(_) if c == '\\' => j += 1,
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if c == '"' || c == '\'' => quote = Some(c),
                    None if c == '}' => break,
                    None => {}
                }
                j += 1;
            }
            if j >= chars.len() {
                return Err(err("unclosed action".to_owned()));
            }
            let inner: String = chars[i + 1..j].iter().collect();
            let inner = inner.trim();
            i = j + 1;
            if inner == "end" {
                let Some((steps, outer)) = nodes_stack.pop() else {
                    return Err(err("not in range, nothing to end".to_owned()));
                };
                let body = std::mem::replace(&mut nodes, outer);
                nodes.push(Node::Range(steps, body));
            } else if let Some(rest) = inner.strip_prefix("range ") {
                let steps = parse_path(rest.trim()).map_err(err)?;
                nodes_stack.push((steps, std::mem::take(&mut nodes)));
            } else if inner.starts_with('"') || inner.starts_with('\'') {
                nodes.push(Node::Text(unquote(inner).map_err(err)?));
            } else {
                nodes.push(Node::Path(parse_path(inner).map_err(err)?));
            }
        }
        if !text.is_empty() {
            nodes.push(Node::Text(text));
        }
        if !nodes_stack.is_empty() {
            return Err(err("unclosed range".to_owned()));
        }
        Ok(JsonPath {
            source: template.to_owned(),
            nodes,
        })
    }

    /// Apply the template to `root`.
    pub fn execute(&self, root: &Value) -> Result<String, CliError> {
        let mut out = String::new();
        exec(&self.nodes, root, root, &mut out);
        Ok(out)
    }

    /// The texts of every value a one-expression template selects (custom columns); other
    /// templates give their whole output as one text.
    pub fn results(&self, root: &Value) -> Vec<String> {
        match self.nodes.as_slice() {
            [Node::Path(steps)] => eval(steps, root, root).into_iter().map(text_of).collect(),
            _ => {
                let mut out = String::new();
                exec(&self.nodes, root, root, &mut out);
                vec![out]
            }
        }
    }

    /// The values a one-expression template selects (empty for other templates).
    pub fn values(&self, root: &Value) -> Vec<Value> {
        match self.nodes.as_slice() {
            [Node::Path(steps)] => eval(steps, root, root).into_iter().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The template text.
    pub fn source(&self) -> &str {
        &self.source
    }
}

fn exec(nodes: &[Node], root: &Value, current: &Value, out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Path(steps) => {
                let vals = eval(steps, root, current);
                let texts: Vec<String> = vals.iter().map(|v| text_of(v)).collect();
                out.push_str(&texts.join(" "));
            }
            Node::Range(steps, body) => {
                for v in eval(steps, root, current) {
                    // Ranging over one array value iterates its elements.
                    match v {
                        Value::Array(items) if !steps_expand(steps) => {
                            for item in items {
                                exec(body, root, item, out);
                            }
                        }
                        other => exec(body, root, other, out),
                    }
                }
            }
        }
    }
}

/// Whether the path already fans out (`[*]`, filters, slices), so `range` walks its results.
fn steps_expand(steps: &[Step]) -> bool {
    steps.iter().any(|s| {
        matches!(
            s,
            Step::All | Step::Slice(..) | Step::Filter(..) | Step::Recursive(_)
        )
    })
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn eval<'a>(steps: &[Step], root: &'a Value, current: &'a Value) -> Vec<&'a Value> {
    let mut vals: Vec<&'a Value> = vec![current];
    let mut steps = steps;
    if let Some(Step::Field(f)) = steps.first()
        && f == "$"
    {
        vals = vec![root];
        steps = &steps[1..];
    }
    for s in steps {
        let mut next = Vec::new();
        for v in vals {
            apply(s, v, &mut next);
        }
        vals = next;
    }
    vals
}

fn apply<'a>(step: &Step, v: &'a Value, next: &mut Vec<&'a Value>) {
    match step {
        Step::Field(f) => {
            if let Some(x) = v.get(f.as_str()) {
                next.push(x);
            }
        }
        Step::All => match v {
            Value::Array(a) => next.extend(a.iter()),
            Value::Object(m) => next.extend(m.values()),
            _ => {}
        },
        Step::Index(i) => {
            if let Value::Array(a) = v {
                let len = a.len() as i64;
                let idx = if *i < 0 { len + i } else { *i };
                if (0..len).contains(&idx) {
                    next.push(&a[idx as usize]);
                }
            }
        }
        Step::Slice(from, to) => {
            if let Value::Array(a) = v {
                let len = a.len() as i64;
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let f = norm(from.unwrap_or(0));
                let t = norm(to.unwrap_or(len));
                if f < t {
                    next.extend(a[f as usize..t as usize].iter());
                }
            }
        }
        Step::Recursive(name) => walk(v, name, next),
        Step::Filter(path, cond) => {
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for item in items {
                let found = eval(path, item, item);
                let keep = match cond {
                    None => !found.is_empty(),
                    Some((op, lit)) => found.iter().any(|f| compare(f, op, lit)),
                };
                if keep {
                    next.push(item);
                }
            }
        }
    }
}

fn walk<'a>(v: &'a Value, name: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get(name) {
                out.push(x);
            }
            for x in m.values() {
                walk(x, name, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| walk(x, name, out)),
        _ => {}
    }
}

fn compare(a: &Value, op: &str, b: &Value) -> bool {
    let num = |v: &Value| v.as_f64();
    match op {
        "==" => a == b || (num(a).is_some() && num(a) == num(b)),
        "!=" => a != b,
        "<" | "<=" | ">" | ">=" => match (num(a), num(b)) {
            (Some(x), Some(y)) => match op {
                "<" => x < y,
                "<=" => x <= y,
                ">" => x > y,
                _ => x >= y,
            },
            _ => false,
        },
        _ => false,
    }
}

fn unquote(s: &str) -> Result<String, String> {
    let q = s.chars().next().unwrap_or('"');
    if s.len() < 2 || !s.ends_with(q) {
        return Err(format!("unterminated quoted string {s}"));
    }
    let body = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut it = body.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Ok(out)
}

fn parse_path(s: &str) -> Result<Vec<Step>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    if chars.first() == Some(&'$') {
        steps.push(Step::Field("$".to_owned()));
        i = 1;
    } else if chars.first() == Some(&'@') {
        i = 1;
    }
    // A field name ends at `.`, `[` or a space; `\.` is a literal dot inside the name
    // (kubectl's `{.data.\.dockerconfigjson}`).
    let ident = |from: usize| {
        let mut j = from;
        let mut name = String::new();
        while j < chars.len() && !matches!(chars[j], '.' | '[' | ' ') {
            if chars[j] == '\\' && j + 1 < chars.len() {
                name.push(chars[j + 1]);
                j += 2;
            } else {
                name.push(chars[j]);
                j += 1;
            }
        }
        (name, j)
    };
    while i < chars.len() {
        match chars[i] {
            '.' if chars.get(i + 1) == Some(&'.') => {
                let (name, j) = ident(i + 2);
                steps.push(Step::Recursive(name));
                i = j;
            }
            '.' => {
                let (name, j) = ident(i + 1);
                if name == "*" {
                    steps.push(Step::All);
                } else if !name.is_empty() {
                    steps.push(Step::Field(name));
                }
                i = j;
            }
            '[' => {
                // Find the matching `]` outside quotes.
                let mut j = i + 1;
                let mut depth = 1;
                let mut quote: Option<char> = None;
                while j < chars.len() {
                    let c = chars[j];
                    match quote {
                        Some(q) if c == q => quote = None,
                        Some(_) => {}
                        None if c == '"' || c == '\'' => quote = Some(c),
                        None if c == '[' => depth += 1,
                        None if c == ']' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        None => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(format!("unterminated array in {s}"));
                }
                let inner: String = chars[i + 1..j].iter().collect();
                steps.push(parse_bracket(inner.trim())?);
                i = j + 1;
            }
            c if i == 0 || c.is_alphanumeric() => {
                // A path without a leading dot (`items[*]`) starts with a field.
                let (name, j) = ident(i);
                steps.push(Step::Field(name));
                i = j;
            }
            c => {
                return Err(format!(
                    "unrecognized character in action: U+{:04X} '{c}'",
                    c as u32
                ));
            }
        }
    }
    Ok(steps)
}

fn parse_bracket(inner: &str) -> Result<Step, String> {
    if inner == "*" {
        return Ok(Step::All);
    }
    if (inner.starts_with('\'') || inner.starts_with('"')) && inner.len() >= 2 {
        return Ok(Step::Field(unquote(inner)?));
    }
    if let Some(f) = inner.strip_prefix("?(").and_then(|r| r.strip_suffix(')')) {
        let f = f.trim();
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if let Some((l, r)) = f.split_once(op) {
                let path = parse_path(l.trim())?;
                let r = r.trim();
                let lit = if r.starts_with('"') || r.starts_with('\'') {
                    Value::from(unquote(r)?)
                } else {
                    serde_json::from_str(r).unwrap_or_else(|_| Value::from(r))
                };
                return Ok(Step::Filter(path, Some((op.to_owned(), lit))));
            }
        }
        return Ok(Step::Filter(parse_path(f)?, None));
    }
    if let Some((a, b)) = inner.split_once(':') {
        let p = |x: &str| -> Result<Option<i64>, String> {
            let x = x.trim();
            if x.is_empty() {
                Ok(None)
            } else {
                x.parse()
                    .map(Some)
                    .map_err(|_| format!("invalid array index {x}"))
            }
        };
        let b = b.split(':').next().unwrap_or("");
        return Ok(Step::Slice(p(a)?, p(b)?));
    }
    inner
        .parse()
        .map(Step::Index)
        .map_err(|_| format!("invalid array index {inner}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> String {
        JsonPath::parse(t).unwrap().execute(v).unwrap()
    }

    /// `\.` escapes a dot inside a field name, as kubectl reads it.
    #[test]
    fn escaped_dots_in_field_names() {
        let v = json!({"data": {".dockerconfigjson": "e30="}, "metadata": {"annotations": {
            "openshift.io/image.dockerRepositoryCheck": "2026-01-01T00:00:00Z"}}});
        assert_eq!(run("{.data.\\.dockerconfigjson}", &v), "e30=");
        assert_eq!(
            run(
                "{.metadata.annotations.openshift\\.io/image\\.dockerRepositoryCheck}",
                &v
            ),
            "2026-01-01T00:00:00Z"
        );
    }

    #[test]
    fn subset() {
        let v = json!({"items": [
            {"metadata": {"name": "a"}, "spec": {"tags": [{"name": "1"}, {"name": "2"}]}},
            {"metadata": {"name": "b"}, "spec": {"tags": []}},
        ]});
        assert_eq!(run("{.items[*].metadata.name}", &v), "a b");
        assert_eq!(run("{.items[0].metadata.name}", &v), "a");
        assert_eq!(run("{.items[-1].metadata.name}", &v), "b");
        assert_eq!(
            run("{range .items[*]}{.metadata.name}{\"\\n\"}{end}", &v),
            "a\nb\n"
        );
        assert_eq!(
            run(
                "{range .items[*]}{.metadata.name}:{range .spec.tags[*]}[{.name}]{end};{end}",
                &v
            ),
            "a:[1][2];b:;"
        );
        assert_eq!(
            run("{.items[?(@.metadata.name==\"b\")].metadata.name}", &v),
            "b"
        );
        assert_eq!(run("x={.nope}", &v), "x=");
        assert_eq!(run("{..name}", &v), "a 1 2 b");
        assert_eq!(
            run("{.items[0].spec}", &v),
            "{\"tags\":[{\"name\":\"1\"},{\"name\":\"2\"}]}"
        );
        assert_eq!(run("{$.items[1]['metadata'].name}", &v), "b");
        assert!(JsonPath::parse("{.a").is_err());
        assert!(JsonPath::parse("{range .a}").is_err());
    }
}
