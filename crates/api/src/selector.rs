//! Kubernetes label selectors and field selectors: parsing, matching and canonical printing.
//!
//! [`LabelSelector::parse`] follows apimachinery's `labels.Parse` grammar and error texts: a
//! byte-wise lexer (whitespace ` \t\r\n`, special symbols `= ! ( ) , > <`, keywords `in` and
//! `notin`), requirements joined by `,` and sorted by key (stably), keys validated as qualified
//! names and values as label values, with the `unable to parse requirement: ...` and
//! `found '<tok>', expected: ...` messages a Kubernetes API server answers with.
//!
//! [`FieldSelector::parse`] follows `fields.ParseSelector`: terms split on unescaped `,`, each
//! split at its first `!=`, `==` or `=`, values unescaped (`\\`, `\,`, `\=`). Unknown fields are
//! reported by [`FieldSelector::check_fields`] with the server's `field label not supported` text.
//!
//! Deliberate differences from apimachinery: an unescaped character is printed as itself, not as
//! its code point (`unescaped character in value: =` rather than `... 61`), and field terms are
//! kept sorted by their canonical text so that printing and re-parsing is the identity.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::validation::go_quote;

/// Longest label value and longest name part of a qualified name.
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;
/// Longest DNS-1123 subdomain (the prefix of a qualified name).
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;

const QUALIFIED_NAME_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const BINARY_OPERATORS: &str = "in, notin, =, ==, !=, gt, lt";

/// Why a selector string (or a programmatic requirement) was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// A label requirement is malformed or has an invalid key or value (the inner text is
    /// apimachinery's, e.g. `found '', expected: identifier`).
    #[error("unable to parse requirement: {0}")]
    Requirement(String),
    /// A label selector has something other than `,` or the end between requirements.
    #[error("found '{found}', expected: {expected}")]
    UnexpectedToken {
        /// The literal found (empty at the end of the string).
        found: String,
        /// What the parser wanted instead.
        expected: &'static str,
    },
    /// A requirement built with [`Requirement::new`] is invalid (field-error text).
    #[error("{0}")]
    InvalidRequirement(String),
    /// A field selector term has none of the operators `=`, `==`, `!=`.
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    InvalidTerm {
        /// The whole selector as given.
        selector: String,
        /// The term that has no operator.
        term: String,
    },
    /// A field selector value has an escape other than `\\`, `\,` or `\=`, or ends in `\`.
    #[error("invalid field selector: invalid escape sequence: {0}")]
    InvalidEscape(String),
    /// A field selector value has an unescaped `,` or `=`.
    #[error("invalid field selector: unescaped character in value: {0}")]
    UnescapedCharacter(char),
    /// A field selector names a field the resource cannot be selected by.
    #[error("field label not supported: {0}")]
    UnsupportedField(String),
}

// ---------------------------------------------------------------------------------------------
// Label-name validation (apimachinery `IsQualifiedName`, `IsValidLabelValue`).

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, anchored.
fn matches_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) => {
            is_alnum(first)
                && is_alnum(last)
                && b.iter()
                    .all(|&c| is_alnum(c) || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`, anchored.
fn matches_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|label| {
            let b = label.as_bytes();
            let ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
            match (b.first(), b.last()) {
                (Some(&first), Some(&last)) => {
                    ok(first) && ok(last) && b.iter().all(|&c| ok(c) || c == b'-')
                }
                _ => false,
            }
        })
}

/// The error texts of apimachinery's `IsQualifiedName` (empty when `value` is valid).
pub fn qualified_name_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_owned());
            } else {
                if prefix.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
                    errs.push(format!(
                        "prefix part must be no more than {DNS1123_SUBDOMAIN_MAX_LENGTH} characters"
                    ));
                }
                if !matches_dns1123_subdomain(prefix) {
                    errs.push(format!("prefix part {DNS1123_SUBDOMAIN_ERR}"));
                }
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {QUALIFIED_NAME_ERR} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_owned());
    } else if name.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(format!(
            "name part must be no more than {LABEL_VALUE_MAX_LENGTH} characters"
        ));
    }
    if !matches_qualified_name_part(name) {
        errs.push(format!("name part {QUALIFIED_NAME_ERR}"));
    }
    errs
}

/// The error texts of apimachinery's `IsValidLabelValue` (empty when `value` is valid).
pub fn label_value_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(format!(
            "must be no more than {LABEL_VALUE_MAX_LENGTH} characters"
        ));
    }
    if !value.is_empty() && !matches_qualified_name_part(value) {
        errs.push(LABEL_VALUE_ERR.to_owned());
    }
    errs
}

/// `<field>: Invalid value: "<value>": <detail>`, as `field.Invalid(...).Error()`.
fn invalid(field: &str, value: &str, details: &[String]) -> String {
    format!(
        "{field}: Invalid value: {}: {}",
        go_quote(value),
        details.join("; ")
    )
}

/// Join errors as apimachinery's aggregate does: one alone, several as `[a, b]`.
fn aggregate(errs: &[String]) -> String {
    match errs {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------------
// Label selectors.

/// The operator of a label requirement (apimachinery `selection.Operator`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `k=v`.
    Equals,
    /// `k==v` (same meaning as `=`, kept for printing).
    DoubleEquals,
    /// `k!=v`: the label is absent or has another value.
    NotEquals,
    /// `k in (a,b)`: the label is present with one of the values.
    In,
    /// `k notin (a,b)`: the label is absent or has none of the values.
    NotIn,
    /// `k`: the label is present.
    Exists,
    /// `!k`: the label is absent.
    DoesNotExist,
    /// `k>5`: the label is an integer greater than the value.
    GreaterThan,
    /// `k<5`: the label is an integer less than the value.
    LessThan,
}

impl Operator {
    /// apimachinery's name of the operator (`=`, `in`, `exists`, `gt`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Exists => "exists",
            Operator::DoesNotExist => "!",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

/// One requirement of a label selector: a key, an operator and a sorted set of values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Build a requirement, validating it as apimachinery's `NewRequirement` does (the key is a
    /// qualified name, values are label values, the value count suits the operator, `gt`/`lt`
    /// values are integers). Values are sorted and de-duplicated.
    pub fn new(
        key: &str,
        operator: Operator,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Requirement, SelectorError> {
        let mut values: Vec<String> = values.into_iter().map(Into::into).collect();
        values.sort();
        values.dedup();
        let mut errs = Vec::new();
        let key_errs = qualified_name_errors(key);
        if !key_errs.is_empty() {
            errs.push(invalid("key", key, &key_errs));
        }
        // Go's `%#v` of a `[]string`.
        let values_text = || {
            let quoted: Vec<String> = values.iter().map(|v| go_quote(v)).collect();
            format!("[]string{{{}}}", quoted.join(", "))
        };
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    errs.push(format!(
                        "values: Invalid value: {}: for 'in', 'notin' operators, values set can't be empty",
                        values_text()
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    errs.push(format!(
                        "values: Invalid value: {}: exact-match compatibility requires one single value",
                        values_text()
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    errs.push(format!(
                        "values: Invalid value: {}: values set must be empty for exists and does not exist",
                        values_text()
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(format!(
                        "values: Invalid value: {}: for 'Gt', 'Lt' operators, exactly one value is required",
                        values_text()
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(invalid(
                            &format!("values[{i}]"),
                            v,
                            &["for 'Gt', 'Lt' operators, the value must be an integer".to_owned()],
                        ));
                    }
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            let value_errs = label_value_errors(v);
            if !value_errs.is_empty() {
                errs.push(invalid(&format!("values[{i}][{key}]"), v, &value_errs));
            }
        }
        if errs.is_empty() {
            Ok(Requirement {
                key: key.to_owned(),
                operator,
                values,
            })
        } else {
            Err(SelectorError::InvalidRequirement(aggregate(&errs)))
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted and without duplicates.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether labels looked up through `get` satisfy the requirement.
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        let has = |v: &str| self.values.iter().any(|x| x == v);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                get(&self.key).is_some_and(has)
            }
            Operator::NotIn | Operator::NotEquals => !get(&self.key).is_some_and(has),
            Operator::Exists => get(&self.key).is_some(),
            Operator::DoesNotExist => get(&self.key).is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(Ok(actual)) = get(&self.key).map(str::parse::<i64>) else {
                    return false;
                };
                let [wanted] = self.values.as_slice() else {
                    return false;
                };
                let Ok(wanted) = wanted.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    actual > wanted
                } else {
                    actual < wanted
                }
            }
        }
    }

    /// Whether `labels` satisfy the requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_with(|k| labels.get(k).map(String::as_str))
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let (op, parens) = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => ("=", false),
            Operator::DoubleEquals => ("==", false),
            Operator::NotEquals => ("!=", false),
            Operator::In => (" in ", true),
            Operator::NotIn => (" notin ", true),
            Operator::GreaterThan => (">", false),
            Operator::LessThan => ("<", false),
        };
        f.write_str(op)?;
        if parens {
            f.write_str("(")?;
        }
        f.write_str(&self.values.join(","))?;
        if parens {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A parsed label selector: requirements that must all hold. The empty selector matches
/// everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// The selector that matches everything.
    pub fn everything() -> LabelSelector {
        LabelSelector::default()
    }

    /// Parse the string form (`app=web,tier in (a,b),!legacy,rev>3`), as `labels.Parse` does.
    pub fn parse(s: &str) -> Result<LabelSelector, SelectorError> {
        let mut requirements = Parser::new(s).parse()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// A selector from requirements (sorted by key, as parsing does).
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> LabelSelector {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        LabelSelector { requirements }
    }

    /// Whether the selector has no requirements (and so matches everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// [`matches`](Self::matches) for optional labels (`metadata.labels` absent = no labels).
    pub fn matches_opt(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        match labels {
            Some(labels) => self.matches(labels),
            None => self.requirements.iter().all(|r| r.matches_with(|_| None)),
        }
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl FromStr for LabelSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LabelSelector::parse(s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    End,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn keyword(s: &str) -> Option<Tok> {
    Some(match s {
        ")" => Tok::ClosedPar,
        "," => Tok::Comma,
        "!" => Tok::DoesNotExist,
        "==" => Tok::DoubleEquals,
        "=" => Tok::Equals,
        ">" => Tok::GreaterThan,
        "in" => Tok::In,
        "<" => Tok::LessThan,
        "!=" => Tok::NotEquals,
        "notin" => Tok::NotIn,
        "(" => Tok::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// The byte-wise lexer of `labels.Parse`. A NUL byte reads like the end of input, as in Go.
struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn read(&mut self) -> u8 {
        match self.s.as_bytes().get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn lex(&mut self) -> (Tok, &'a str) {
        let mut ch = self.read();
        while is_whitespace(ch) {
            ch = self.read();
        }
        if ch == 0 {
            return (Tok::End, "");
        }
        self.unread();
        if is_special(ch) {
            self.scan_special()
        } else {
            self.scan_identifier()
        }
    }

    fn scan_identifier(&mut self) -> (Tok, &'a str) {
        let start = self.pos;
        let end = loop {
            let before = self.pos;
            let ch = self.read();
            if ch == 0 {
                break before;
            }
            if is_special(ch) || is_whitespace(ch) {
                self.unread();
                break self.pos;
            }
        };
        let lit = self.s.get(start..end).unwrap_or("");
        (keyword(lit).unwrap_or(Tok::Identifier), lit)
    }

    fn scan_special(&mut self) -> (Tok, &'a str) {
        let start = self.pos;
        let mut last: Option<(Tok, usize)> = None;
        loop {
            let ch = self.read();
            if ch == 0 {
                break;
            }
            if !is_special(ch) {
                self.unread();
                break;
            }
            let buffer = self.s.get(start..self.pos).unwrap_or("");
            if let Some(tok) = keyword(buffer) {
                last = Some((tok, self.pos));
            } else if last.is_some() {
                self.unread();
                break;
            }
        }
        match last {
            Some((tok, end)) => (tok, self.s.get(start..end).unwrap_or("")),
            // Unreachable in practice: every single special symbol is a token.
            None => (Tok::End, ""),
        }
    }
}

/// Whether `in`/`notin` read as keywords (after a key) or as identifiers (everywhere else).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser<'a> {
    items: Vec<(Tok, &'a str)>,
    position: usize,
}

type Inner<T> = Result<T, String>;

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Parser<'a> {
        let mut lexer = Lexer { s, pos: 0 };
        let mut items = Vec::new();
        loop {
            let item = lexer.lex();
            items.push(item);
            if item.0 == Tok::End {
                break;
            }
        }
        Parser { items, position: 0 }
    }

    fn at(&self, i: usize, context: Context) -> (Tok, &'a str) {
        let (tok, lit) = self
            .items
            .get(i)
            .or(self.items.last())
            .copied()
            .unwrap_or((Tok::End, ""));
        match tok {
            Tok::In | Tok::NotIn if context == Context::Values => (Tok::Identifier, lit),
            _ => (tok, lit),
        }
    }

    fn lookahead(&self, context: Context) -> (Tok, &'a str) {
        self.at(self.position, context)
    }

    fn consume(&mut self, context: Context) -> (Tok, &'a str) {
        let item = self.at(self.position, context);
        self.position += 1;
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(Context::Values);
            match tok {
                Tok::Identifier | Tok::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(SelectorError::Requirement)?;
                    requirements.push(r);
                    let (t, l) = self.consume(Context::Values);
                    match t {
                        Tok::End => return Ok(requirements),
                        Tok::Comma => {
                            let (t2, l2) = self.lookahead(Context::Values);
                            if t2 != Tok::Identifier && t2 != Tok::DoesNotExist {
                                return Err(SelectorError::UnexpectedToken {
                                    found: l2.to_owned(),
                                    expected: "identifier after ','",
                                });
                            }
                        }
                        _ => {
                            return Err(SelectorError::UnexpectedToken {
                                found: l.to_owned(),
                                expected: "',' or 'end of string'",
                            });
                        }
                    }
                }
                Tok::End => return Ok(requirements),
                _ => {
                    return Err(SelectorError::UnexpectedToken {
                        found: lit.to_owned(),
                        expected: "!, identifier, or 'end of string'",
                    });
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Inner<Requirement> {
        let (key, operator) = self.parse_key_and_infer_operator()?;
        let (operator, values) = match operator {
            Some(op) => (op, Vec::new()),
            None => {
                let op = self.parse_operator()?;
                let values = match op {
                    Operator::In | Operator::NotIn => self.parse_values()?,
                    _ => vec![self.parse_exact_value()?],
                };
                (op, values)
            }
        };
        Requirement::new(key, operator, values).map_err(|e| e.to_string())
    }

    /// The key, and the operator when it is unary (`!k` or a bare `k`).
    fn parse_key_and_infer_operator(&mut self) -> Inner<(&'a str, Option<Operator>)> {
        let mut operator = None;
        let (mut tok, mut lit) = self.consume(Context::Values);
        if tok == Tok::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (tok, lit) = self.consume(Context::Values);
        }
        if tok != Tok::Identifier {
            return Err(format!("found '{lit}', expected: identifier"));
        }
        let errs = qualified_name_errors(lit);
        if !errs.is_empty() {
            return Err(invalid("<nil>", lit, &errs));
        }
        if operator.is_none() && matches!(self.lookahead(Context::Values).0, Tok::End | Tok::Comma)
        {
            operator = Some(Operator::Exists);
        }
        Ok((lit, operator))
    }

    fn parse_operator(&mut self) -> Inner<Operator> {
        let (tok, lit) = self.consume(Context::KeyAndOperator);
        Ok(match tok {
            Tok::In => Operator::In,
            Tok::Equals => Operator::Equals,
            Tok::DoubleEquals => Operator::DoubleEquals,
            Tok::GreaterThan => Operator::GreaterThan,
            Tok::LessThan => Operator::LessThan,
            Tok::NotIn => Operator::NotIn,
            Tok::NotEquals => Operator::NotEquals,
            _ => return Err(format!("found '{lit}', expected: {BINARY_OPERATORS}")),
        })
    }

    fn parse_values(&mut self) -> Inner<Vec<String>> {
        let (tok, lit) = self.consume(Context::Values);
        if tok != Tok::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(Context::Values);
        match tok {
            Tok::Identifier | Tok::Comma => {
                let values = self.parse_identifiers_list()?;
                if self.consume(Context::Values).0 != Tok::ClosedPar {
                    // apimachinery reports the token after '(' here, not the one found.
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(values)
            }
            Tok::ClosedPar => {
                self.consume(Context::Values);
                Ok(vec![String::new()])
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn parse_identifiers_list(&mut self) -> Inner<Vec<String>> {
        let mut values: Vec<String> = Vec::new();
        loop {
            let (tok, lit) = self.consume(Context::Values);
            match tok {
                Tok::Identifier => {
                    values.push(lit.to_owned());
                    let (tok2, lit2) = self.lookahead(Context::Values);
                    match tok2 {
                        Tok::Comma => {}
                        Tok::ClosedPar => return Ok(values),
                        _ => return Err(format!("found '{lit2}', expected: ',' or ')'")),
                    }
                }
                Tok::Comma => {
                    // `(,a)`, `(a,)` and `(a,,b)` all hold the empty value.
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    match self.lookahead(Context::Values).0 {
                        Tok::ClosedPar => {
                            values.push(String::new());
                            return Ok(values);
                        }
                        Tok::Comma => values.push(String::new()),
                        _ => {}
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Inner<String> {
        if matches!(self.lookahead(Context::Values).0, Tok::End | Tok::Comma) {
            return Ok(String::new());
        }
        let (tok, lit) = self.consume(Context::Values);
        if tok == Tok::Identifier {
            Ok(lit.to_owned())
        } else {
            Err(format!("found '{lit}', expected: identifier"))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Field selectors.

/// The operator of a field selector term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldOperator {
    /// `f=v` or `f==v`: the field has the value (a missing field reads as `""`).
    Equals,
    /// `f!=v`: the field does not have the value.
    NotEquals,
}

/// One term of a field selector.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldTerm {
    /// The field path, e.g. `metadata.name` (not validated; see [`FieldSelector::check_fields`]).
    pub field: String,
    /// The comparison.
    pub operator: FieldOperator,
    /// The value, unescaped.
    pub value: String,
}

impl fmt::Display for FieldTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.operator {
            FieldOperator::Equals => "=",
            FieldOperator::NotEquals => "!=",
        };
        write!(f, "{}{op}{}", self.field, escape_field_value(&self.value))
    }
}

/// A parsed field selector: terms that must all hold. The empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FieldSelector {
    terms: Vec<FieldTerm>,
}

/// Escape `\`, `,` and `=` in a field selector value (apimachinery `fields.EscapeValue`).
pub fn escape_field_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Undo [`escape_field_value`], rejecting unknown escapes and unescaped `,` or `=`
/// (apimachinery `fields.UnescapeValue`).
pub fn unescape_field_value(value: &str) -> Result<String, SelectorError> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('\\' | ',' | '=')) => out.push(e),
                Some(other) => return Err(SelectorError::InvalidEscape(format!("\\{other}"))),
                None => return Err(SelectorError::InvalidEscape("\\".to_owned())),
            },
            ',' | '=' => return Err(SelectorError::UnescapedCharacter(c)),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Split on commas not escaped by a backslash; escapes stay in the terms.
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Split a term at the first position where `!=`, `==` or `=` starts (in that preference).
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, operator) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::Equals),
            ("=", FieldOperator::Equals),
        ] {
            if let Some(rhs) = rest.strip_prefix(op) {
                return Some((&term[..i], operator, rhs));
            }
        }
    }
    None
}

impl FieldSelector {
    /// The selector that matches everything.
    pub fn everything() -> FieldSelector {
        FieldSelector::default()
    }

    /// Parse the string form (`metadata.name=x,status.phase!=Running`), as
    /// `fields.ParseSelector` does. Empty terms are skipped; fields are not trimmed.
    pub fn parse(s: &str) -> Result<FieldSelector, SelectorError> {
        let mut parts = split_terms(s);
        parts.sort_unstable();
        let mut terms = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let Some((field, operator, rhs)) = split_term(part) else {
                return Err(SelectorError::InvalidTerm {
                    selector: s.to_owned(),
                    term: part.to_owned(),
                });
            };
            terms.push(FieldTerm {
                field: field.to_owned(),
                operator,
                value: unescape_field_value(rhs)?,
            });
        }
        Ok(FieldSelector::from_terms(terms))
    }

    /// A selector from terms (kept sorted by their printed form).
    pub fn from_terms(mut terms: Vec<FieldTerm>) -> FieldSelector {
        terms.sort_by_cached_key(ToString::to_string);
        FieldSelector { terms }
    }

    /// Whether the selector has no terms (and so matches everything).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms.
    pub fn terms(&self) -> &[FieldTerm] {
        &self.terms
    }

    /// Whether the object whose fields `get` looks up satisfies every term. A field `get`
    /// answers `None` for compares as the empty string, as in Kubernetes.
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|t| {
            let actual = get(&t.field).unwrap_or_default();
            match t.operator {
                FieldOperator::Equals => actual == t.value,
                FieldOperator::NotEquals => actual != t.value,
            }
        })
    }

    /// The value an `=` term requires of `field`, if any (for index look-ups such as
    /// `metadata.name=x`).
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.field == field && t.operator == FieldOperator::Equals)
            .map(|t| t.value.as_str())
    }

    /// Reject fields not in `allowed`, with the server's 400 text
    /// (`field label not supported: <name>`), naming the first unsupported one.
    pub fn check_fields(&self, allowed: &[&str]) -> Result<(), SelectorError> {
        match self
            .terms
            .iter()
            .find(|t| !allowed.contains(&t.field.as_str()))
        {
            Some(t) => Err(SelectorError::UnsupportedField(t.field.clone())),
            None => Ok(()),
        }
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

impl FromStr for FieldSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldSelector::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn err(s: &str) -> String {
        LabelSelector::parse(s).unwrap_err().to_string()
    }

    #[test]
    fn valid_label_selectors_print_canonically() {
        let cases = [
            ("", ""),
            ("   ", ""),
            ("x=a", "x=a"),
            ("x==a", "x==a"),
            ("x!=a", "x!=a"),
            ("x=", "x="),
            ("x=,y=b", "x=,y=b"),
            (" x = a , y != b ", "x=a,y!=b"),
            ("\tx\n=\ra", "x=a"),
            ("y=b,x=a", "x=a,y=b"),
            ("x in (b,a)", "x in (a,b)"),
            ("x in (a,a)", "x in (a)"),
            ("x notin (a)", "x notin (a)"),
            ("x in ()", "x in ()"),
            ("x in (,a)", "x in (,a)"),
            ("x in (a,)", "x in (,a)"),
            ("x in (a,,b)", "x in (,a,b)"),
            (
                "x in (foo,,baz),y,z notin ()",
                "x in (,baz,foo),y,z notin ()",
            ),
            ("x", "x"),
            ("!x", "!x"),
            ("! x", "!x"),
            ("x>1", "x>1"),
            ("x>01", "x>01"),
            ("in in (in)", "in in (in)"),
            ("notin=in", "notin=in"),
            ("x=notin", "x=notin"),
            ("example.com/app=web", "example.com/app=web"),
            ("a.b-c_d=E.f-G_h", "a.b-c_d=E.f-G_h"),
            ("x=a,x!=b", "x=a,x!=b"),
            ("b,a=1,!c", "a=1,b,!c"),
        ];
        for (input, want) in cases {
            match LabelSelector::parse(input) {
                Ok(s) => assert_eq!(s.to_string(), want, "{input:?}"),
                Err(e) => panic!("{input:?} failed: {e}"),
            }
        }
    }

    #[test]
    fn gt_value_must_be_a_valid_label_value() {
        // `-1` is an integer but not a label value.
        assert_eq!(
            err("x<-1"),
            format!(
                "unable to parse requirement: values[0][x]: Invalid value: \"-1\": {LABEL_VALUE_ERR}"
            )
        );
    }

    #[test]
    fn invalid_label_selectors_report_kubernetes_messages() {
        let cases = [
            ("x=a b", "found 'b', expected: ',' or 'end of string'"),
            ("x=a,", "found '', expected: identifier after ','"),
            ("x=a,,y", "found ',', expected: identifier after ','"),
            (
                "=a",
                "found '=', expected: !, identifier, or 'end of string'",
            ),
            (
                ",",
                "found ',', expected: !, identifier, or 'end of string'",
            ),
            (
                "x y",
                "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt",
            ),
            (
                "x (",
                "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt",
            ),
            (
                "!",
                "unable to parse requirement: found '', expected: identifier",
            ),
            (
                "!!x",
                "unable to parse requirement: found '!', expected: identifier",
            ),
            ("!x=a", "found '=', expected: ',' or 'end of string'"),
            (
                "x in a",
                "unable to parse requirement: found 'a' expected: '('",
            ),
            (
                "x in",
                "unable to parse requirement: found '' expected: '('",
            ),
            (
                "x in (",
                "unable to parse requirement: found '', expected: ',', ')' or identifier",
            ),
            (
                "x in (a",
                "unable to parse requirement: found '', expected: ',' or ')'",
            ),
            (
                "x in (a b)",
                "unable to parse requirement: found 'b', expected: ',' or ')'",
            ),
            (
                "x in (a,",
                "unable to parse requirement: found '', expected: ',', or identifier",
            ),
            (
                "x in (a,=)",
                "unable to parse requirement: found '=', expected: ',', or identifier",
            ),
            (
                "x in (=)",
                "unable to parse requirement: found '=', expected: ',', ')' or identifier",
            ),
            (
                "x==(",
                "unable to parse requirement: found '(', expected: identifier",
            ),
            ("x=a=b", "found '=', expected: ',' or 'end of string'"),
            (
                "x>",
                "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer",
            ),
            (
                "x>a",
                "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
            ),
            (
                "x>=1",
                "unable to parse requirement: found '=', expected: identifier",
            ),
            (
                "-x=a",
                "unable to parse requirement: <nil>: Invalid value: \"-x\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ),
            (
                "/x",
                "unable to parse requirement: <nil>: Invalid value: \"/x\": prefix part must be non-empty",
            ),
            (
                "x/",
                "unable to parse requirement: <nil>: Invalid value: \"x/\": name part must be non-empty; name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ),
            (
                "a/b/c",
                "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            ),
            (
                "Example.com/x",
                "unable to parse requirement: <nil>: Invalid value: \"Example.com/x\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            ),
            (
                "x=-a",
                "unable to parse requirement: values[0][x]: Invalid value: \"-a\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ),
            (
                "x in (a,-b)",
                "unable to parse requirement: values[0][x]: Invalid value: \"-b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(err(input), want, "{input:?}");
        }
    }

    #[test]
    fn label_length_limits() {
        let name63 = "a".repeat(63);
        assert!(LabelSelector::parse(&format!("{name63}={name63}")).is_ok());
        assert_eq!(
            err(&format!("{name63}a")),
            format!(
                "unable to parse requirement: <nil>: Invalid value: \"{name63}a\": name part must be no more than 63 characters"
            )
        );
        assert_eq!(
            err(&format!("x={name63}a")),
            format!(
                "unable to parse requirement: values[0][x]: Invalid value: \"{name63}a\": must be no more than 63 characters"
            )
        );
        let prefix253 = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert_eq!(prefix253.len(), 253);
        assert!(LabelSelector::parse(&format!("{prefix253}/x")).is_ok());
        assert!(
            err(&format!("{prefix253}e/x"))
                .contains("prefix part must be no more than 253 characters")
        );
        // Multi-byte text is rejected, not sliced.
        assert!(err("é=1").contains("Invalid value: \"é\""));
        assert!(err("x=é").contains("values[0][x]"));
    }

    #[test]
    fn nul_reads_like_the_end_of_input() {
        assert_eq!(
            LabelSelector::parse("x=a \0junk (").unwrap().to_string(),
            "x=a"
        );
        assert_eq!(
            err("x=a\0junk"),
            "found 'junk', expected: ',' or 'end of string'"
        );
        assert_eq!(
            err("x\0y"),
            "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"
        );
    }

    #[test]
    fn label_matching() {
        let l = labels(&[
            ("app", "web"),
            ("tier", "front"),
            ("rev", "7"),
            ("empty", ""),
        ]);
        let cases = [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app=db", false),
            ("app!=db", true),
            ("app!=web", false),
            ("missing!=x", true),
            ("missing=", false),
            ("empty=", true),
            ("empty", true),
            ("app", true),
            ("missing", false),
            ("!missing", true),
            ("!app", false),
            ("tier in (front,back)", true),
            ("tier in (back)", false),
            ("missing in (a)", false),
            ("tier notin (back)", true),
            ("tier notin (front)", false),
            ("missing notin (a)", true),
            ("empty in ()", true),
            ("rev>6", true),
            ("rev>7", false),
            ("rev<8", true),
            ("rev<7", false),
            ("app>1", false),
            ("missing<100", false),
            ("app=web,tier=back", false),
            ("app=web,tier=front,rev>0", true),
        ];
        for (input, want) in cases {
            let s = LabelSelector::parse(input).unwrap();
            assert_eq!(s.matches(&l), want, "{input:?}");
        }
        let none = LabelSelector::parse("!app,x notin (a),y!=b").unwrap();
        assert!(none.matches_opt(None));
        assert!(!LabelSelector::parse("app").unwrap().matches_opt(None));
        assert!(LabelSelector::parse("app").unwrap().matches_opt(Some(&l)));
        assert!(LabelSelector::everything().matches_opt(None));
    }

    #[test]
    fn requirement_new_validates_like_new_requirement() {
        assert!(Requirement::new("a", Operator::Equals, ["x"]).is_ok());
        assert_eq!(
            Requirement::new("a", Operator::In, Vec::<String>::new())
                .unwrap_err()
                .to_string(),
            "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
        );
        assert_eq!(
            Requirement::new("a", Operator::Equals, ["x", "y"])
                .unwrap_err()
                .to_string(),
            "values: Invalid value: []string{\"x\", \"y\"}: exact-match compatibility requires one single value"
        );
        assert_eq!(
            Requirement::new("a", Operator::Exists, ["x"])
                .unwrap_err()
                .to_string(),
            "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist"
        );
        assert_eq!(
            Requirement::new("-", Operator::GreaterThan, ["-a"])
                .unwrap_err()
                .to_string(),
            format!(
                "[key: Invalid value: \"-\": name part {QUALIFIED_NAME_ERR}, values[0]: Invalid value: \"-a\": for 'Gt', 'Lt' operators, the value must be an integer, values[0][-]: Invalid value: \"-a\": {LABEL_VALUE_ERR}]"
            )
        );
        let r = Requirement::new("k", Operator::NotIn, ["b", "a", "b"]).unwrap();
        assert_eq!(r.values(), ["a", "b"]);
        assert_eq!(r.key(), "k");
        assert_eq!(r.operator(), Operator::NotIn);
        assert_eq!(r.operator().as_str(), "notin");
        let s = LabelSelector::from_requirements(vec![
            r,
            Requirement::new("a", Operator::Exists, Vec::<String>::new()).unwrap(),
        ]);
        assert_eq!(s.to_string(), "a,k notin (a,b)");
        assert_eq!(s.requirements().len(), 2);
        assert!(!s.is_empty());
    }

    #[test]
    fn valid_field_selectors() {
        let cases = [
            ("", ""),
            (",", ""),
            ("metadata.name=x", "metadata.name=x"),
            ("metadata.name==x", "metadata.name=x"),
            ("metadata.name!=x", "metadata.name!=x"),
            ("metadata.name=", "metadata.name="),
            ("=x", "=x"),
            ("b=2,a=1", "a=1,b=2"),
            ("a=1,,b=2", "a=1,b=2"),
            (" a = b ", " a = b "),
            ("a=!x", "a=!x"),
            ("a!=\\=x", "a!=\\=x"),
            ("a=x\\,y", "a=x\\,y"),
            ("a=x\\=y\\\\z", "a=x\\=y\\\\z"),
            ("a!b=c", "a!b=c"),
            ("a=é,b!=ü", "a=é,b!=ü"),
        ];
        for (input, want) in cases {
            match FieldSelector::parse(input) {
                Ok(s) => assert_eq!(s.to_string(), want, "{input:?}"),
                Err(e) => panic!("{input:?} failed: {e}"),
            }
        }
        let s = FieldSelector::parse("a=x\\,y,b!=1").unwrap();
        assert_eq!(
            s.terms(),
            [
                FieldTerm {
                    field: "a".into(),
                    operator: FieldOperator::Equals,
                    value: "x,y".into()
                },
                FieldTerm {
                    field: "b".into(),
                    operator: FieldOperator::NotEquals,
                    value: "1".into()
                },
            ]
        );
    }

    #[test]
    fn invalid_field_selectors() {
        let cases = [
            ("a", "invalid selector: 'a'; can't understand 'a'"),
            ("a=1,b", "invalid selector: 'a=1,b'; can't understand 'b'"),
            (
                "a=1=2",
                "invalid field selector: unescaped character in value: =",
            ),
            (
                "a==1=2",
                "invalid field selector: unescaped character in value: =",
            ),
            (
                "a=\\x",
                "invalid field selector: invalid escape sequence: \\x",
            ),
            (
                "a=\\!",
                "invalid field selector: invalid escape sequence: \\!",
            ),
            (
                "a=x\\",
                "invalid field selector: invalid escape sequence: \\",
            ),
            (
                "a=\\é",
                "invalid field selector: invalid escape sequence: \\é",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                FieldSelector::parse(input).unwrap_err().to_string(),
                want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn field_matching_and_checks() {
        let get = |f: &str| match f {
            "metadata.name" => Some("web".to_owned()),
            "metadata.namespace" => Some("prod".to_owned()),
            _ => None,
        };
        let cases = [
            ("", true),
            ("metadata.name=web", true),
            ("metadata.name=db", false),
            ("metadata.name!=db", true),
            ("metadata.name!=web", false),
            ("spec.missing=", true),
            ("spec.missing!=", false),
            ("metadata.name=web,metadata.namespace=prod", true),
            ("metadata.name=web,metadata.namespace=dev", false),
        ];
        for (input, want) in cases {
            assert_eq!(
                FieldSelector::parse(input).unwrap().matches(get),
                want,
                "{input:?}"
            );
        }
        let s = FieldSelector::parse("metadata.name=web,status.phase=Running").unwrap();
        assert_eq!(s.requires_exact_match("metadata.name"), Some("web"));
        assert_eq!(s.requires_exact_match("metadata.namespace"), None);
        assert_eq!(
            s.check_fields(&["metadata.name", "metadata.namespace"])
                .unwrap_err()
                .to_string(),
            "field label not supported: status.phase"
        );
        assert!(s.check_fields(&["metadata.name", "status.phase"]).is_ok());
        assert!(FieldSelector::everything().check_fields(&[]).is_ok());
        assert!(FieldSelector::everything().is_empty());
        assert_eq!("a=b".parse::<FieldSelector>().unwrap().to_string(), "a=b");
        assert_eq!("a=b".parse::<LabelSelector>().unwrap().to_string(), "a=b");
    }

    #[test]
    fn escaping_round_trips() {
        for v in ["", "plain", "a,b", "a=b", "a\\b", "\\,=\\\\", "ünï"] {
            assert_eq!(unescape_field_value(&escape_field_value(v)).unwrap(), v);
        }
    }

    fn key() -> impl Strategy<Value = String> {
        let name = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?";
        (
            proptest::option::of("[a-z0-9]([-a-z0-9]{0,5}[a-z0-9])?(\\.[a-z0-9]{1,5}){0,2}"),
            name,
        )
            .prop_map(|(prefix, name)| match prefix {
                Some(p) => format!("{p}/{name}"),
                None => name,
            })
    }

    fn value() -> impl Strategy<Value = String> {
        "([A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?)?"
    }

    fn requirement() -> impl Strategy<Value = Requirement> {
        let op = prop_oneof![
            Just(Operator::Equals),
            Just(Operator::DoubleEquals),
            Just(Operator::NotEquals),
            Just(Operator::In),
            Just(Operator::NotIn),
            Just(Operator::Exists),
            Just(Operator::DoesNotExist),
            Just(Operator::GreaterThan),
            Just(Operator::LessThan),
        ];
        (
            key(),
            op,
            proptest::collection::vec(value(), 1..4),
            "[0-9]{1,18}",
        )
            .prop_map(|(key, op, values, int)| {
                let values = match op {
                    Operator::Exists | Operator::DoesNotExist => vec![],
                    Operator::In | Operator::NotIn => values,
                    Operator::GreaterThan | Operator::LessThan => vec![int],
                    _ => values[..1].to_vec(),
                };
                Requirement::new(&key, op, values).expect("generated requirement is valid")
            })
    }

    fn field_term() -> impl Strategy<Value = FieldTerm> {
        ("[a-z][a-z.]{0,10}", any::<bool>(), ".{0,8}").prop_map(|(field, eq, value)| FieldTerm {
            field,
            operator: if eq {
                FieldOperator::Equals
            } else {
                FieldOperator::NotEquals
            },
            value,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn parsing_arbitrary_text_never_panics(s in ".{0,40}") {
            let _ = LabelSelector::parse(&s);
            let _ = FieldSelector::parse(&s);
        }

        #[test]
        fn parsing_selector_like_text_never_panics(s in "[a-z0-9 =!(),<>\\\\/.\\-\\x00é]{0,40}|(in|notin|[ =!(),<>]|[a-z]{1,3}){0,12}") {
            if let Ok(sel) = LabelSelector::parse(&s) {
                // Whatever parses prints to something that parses to the same selector.
                prop_assert_eq!(LabelSelector::parse(&sel.to_string()), Ok(sel));
            }
            if let Ok(sel) = FieldSelector::parse(&s) {
                let _ = sel.matches(|_| None);
            }
        }

        #[test]
        fn label_selector_display_round_trips(reqs in proptest::collection::vec(requirement(), 0..5)) {
            let sel = LabelSelector::from_requirements(reqs);
            let printed = sel.to_string();
            prop_assert_eq!(LabelSelector::parse(&printed), Ok(sel), "{}", printed);
        }

        #[test]
        fn field_selector_display_round_trips(terms in proptest::collection::vec(field_term(), 0..5)) {
            let sel = FieldSelector::from_terms(terms);
            let printed = sel.to_string();
            prop_assert_eq!(FieldSelector::parse(&printed), Ok(sel), "{}", printed);
        }
    }
}
