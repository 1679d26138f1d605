//! Distinguished names, compared as a `tls_client_auth` client's registered
//! `tls_client_auth_subject_dn` and its certificate's subject must be (RFC 8705 §2.1.2; UK
//! DCR: uk-dcr.md §8 "Token endpoint", §9.17, UK-REQ-060).
//!
//! Tools write one DN differently: Go's `RDNSequence.String()` in reverse RDN order, Java's
//! `getName()` in certificate order, with or without a space after each comma, with short
//! names (`CN`) or dotted OIDs. Two DNs are the same here when they hold the same attributes:
//! attribute types compared by OID (a known short name, in any case, stands for its OID),
//! values compared exactly once the spaces around them are trimmed, the order of the RDNs
//! (and of the attributes of a multi-valued RDN) ignored.

/// A DN as its attributes: (attribute type as a dotted OID, value), sorted.
pub(crate) type Dn = Vec<(String, String)>;

/// Short names of the attribute types DNs use (RFC 4514 §3, X.520, RFC 4519), by OID.
const NAMES: &[(&str, &str)] = &[
    ("cn", "2.5.4.3"),
    ("commonname", "2.5.4.3"),
    ("sn", "2.5.4.4"),
    ("surname", "2.5.4.4"),
    ("serialnumber", "2.5.4.5"),
    ("c", "2.5.4.6"),
    ("countryname", "2.5.4.6"),
    ("l", "2.5.4.7"),
    ("localityname", "2.5.4.7"),
    ("st", "2.5.4.8"),
    ("stateorprovincename", "2.5.4.8"),
    ("street", "2.5.4.9"),
    ("o", "2.5.4.10"),
    ("organizationname", "2.5.4.10"),
    ("ou", "2.5.4.11"),
    ("organizationalunitname", "2.5.4.11"),
    ("title", "2.5.4.12"),
    ("givenname", "2.5.4.42"),
    ("organizationidentifier", "2.5.4.97"),
    ("dc", "0.9.2342.19200300.100.1.25"),
    ("uid", "0.9.2342.19200300.100.1.1"),
    ("emailaddress", "1.2.840.113549.1.9.1"),
    ("e", "1.2.840.113549.1.9.1"),
    ("businesscategory", "2.5.4.15"),
    ("postalcode", "2.5.4.17"),
    ("jurisdictioncountryname", "1.3.6.1.4.1.311.60.2.1.3"),
];

/// The OID an attribute type written as `name` stands for; another descriptor (RFC 4512
/// `keystring`: a letter, then letters, digits and hyphens) stands for itself, lower-cased;
/// `None` when it is neither.
fn oid(name: &str) -> Option<String> {
    let lower = name.trim().to_ascii_lowercase();
    let lower = lower.strip_prefix("oid.").unwrap_or(&lower);
    if let Some((_, oid)) = NAMES.iter().find(|(n, _)| *n == lower) {
        return Some((*oid).to_string());
    }
    let dotted = !lower.is_empty()
        && lower.split('.').count() > 1
        && lower
            .split('.')
            .all(|arc| !arc.is_empty() && arc.chars().all(|c| c.is_ascii_digit()));
    let descriptor = lower.starts_with(|c: char| c.is_ascii_alphabetic())
        && lower.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    (dotted || descriptor).then(|| lower.to_string())
}

/// Parses a DN written as a string (RFC 4514 style: `CN=a,OU=b,O=c`, RDNs separated by `,`
/// or `;`, multi-valued RDNs by `+`, `\` escaping one character or two hex digits, values
/// optionally in double quotes). `None` when it is not one.
pub(crate) fn parse(text: &str) -> Option<Dn> {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next()?;
                let hex = chars.peek().copied();
                match (next.to_digit(16), hex.and_then(|h| h.to_digit(16))) {
                    (Some(hi), Some(lo)) => {
                        chars.next();
                        current.push(char::from((hi * 16 + lo) as u8));
                    }
                    _ => current.push(next),
                }
            }
            '"' => quoted = !quoted,
            ',' | ';' | '+' if !quoted => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    if quoted {
        return None;
    }
    parts.push(current);
    let mut dn = Vec::with_capacity(parts.len());
    for part in parts {
        let (name, value) = part.split_once('=')?;
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        dn.push((oid(name)?, value.to_string()));
    }
    dn.sort();
    Some(dn)
}

/// The subject DN of the DER certificate `der`; `None` when it does not parse or an attribute
/// value is not a string.
pub(crate) fn of_certificate(der: &[u8]) -> Option<Dn> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let mut dn = Vec::new();
    for attr in cert.subject().iter_attributes() {
        let value = attr.as_str().ok()?;
        dn.push((attr.attr_type().to_id_string(), value.trim().to_string()));
    }
    dn.sort();
    Some(dn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::same("CN=a,OU=b,O=c,C=GB", "CN=a,OU=b,O=c,C=GB", true)]
    #[case::go_order("CN=a,OU=b,O=c,C=GB", "C=GB,O=c,OU=b,CN=a", true)]
    #[case::spaces_after_commas("CN=a, OU=b, O=c", "CN=a,OU=b,O=c", true)]
    #[case::type_case("cn=a,ou=b", "CN=a,OU=b", true)]
    #[case::dotted_oid("2.5.4.3=a,OU=b", "CN=a,OU=b", true)]
    #[case::long_name(
        "organizationIdentifier=PSDGB-OB-X,CN=a",
        "CN=a,2.5.4.97=PSDGB-OB-X",
        true
    )]
    #[case::escaped_comma("CN=a\\, b,O=c", "O=c,CN=\"a, b\"", true)]
    #[case::other_value("CN=a,OU=b", "CN=a,OU=x", false)]
    #[case::value_case("CN=a", "CN=A", false)]
    #[case::one_attribute_more("CN=a,OU=b", "CN=a", false)]
    #[case::other_type("CN=a", "OU=a", false)]
    #[case::unknown_descriptor("someType=a,CN=b", "CN=b,SOMETYPE=a", true)]
    fn dns_are_compared_as_sets_of_attributes(
        #[case] a: &str,
        #[case] b: &str,
        #[case] same: bool,
    ) {
        assert_eq!(parse(a).expect(a) == parse(b).expect(b), same, "{a} / {b}");
    }

    #[rstest]
    #[case::no_equals("CN")]
    #[case::bad_type("1x=a")]
    #[case::type_with_space("C N=a")]
    #[case::empty_value("CN=")]
    #[case::open_quote("CN=\"a")]
    #[case::empty("")]
    fn what_is_no_dn_does_not_parse(#[case] text: &str) {
        assert!(parse(text).is_none(), "{text}");
    }

    #[test]
    fn a_certificate_s_subject_is_read_as_its_attributes() {
        let pki = dcr_vectors::TestPki::generate(&[]).expect("pki");
        let subject = of_certificate(&pki.client_a.cert_der).expect("subject");
        // The test PKI's transport certificates name C, O and CN; in any order, any case of
        // the type names.
        assert_eq!(
            Some(subject.clone()),
            parse("cn=recipient A, C=GB, O=dcr-conformance test recipients")
        );
        assert_ne!(Some(subject.clone()), parse("CN=recipient A"));
        assert_ne!(
            Some(subject),
            parse("CN=recipient B,O=dcr-conformance test recipients,C=GB")
        );
    }
}
