//! ISO 3166-1 alpha-2: the two-letter codes of the countries and territories a postal address
//! may be in.
//!
//! A table rather than a crate: all an address needs is "is this an assigned code", which is
//! 249 two-letter strings. The crates that carry the standard bring names, alpha-3 and
//! numeric codes, subdivisions and their own release cadence for a list that last gained a code
//! in 2011 (`SS`). Taken from Debian's `iso-codes` 4.15.0 (`iso_3166-1.json`, every `alpha_2`),
//! which follows the ISO 3166 Maintenance Agency; user-assigned codes (`XK`, `ZZ`, …) and
//! exceptionally reserved ones (`UK`, `EU`) are not assigned, so not addresses' countries.

/// Every officially assigned alpha-2 code, sorted (so it is searched by halves).
pub const ALPHA_2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA",
    "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV",
    "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU",
    "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES",
    "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM",
    "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE",
    "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM",
    "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY",
    "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT",
    "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU",
    "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA",
    "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
    "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL",
    "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE",
    "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` is an assigned alpha-2 code, in capitals as the standard writes it.
pub fn is_alpha_2(code: &str) -> bool {
    ALPHA_2.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_unique_and_two_capital_letters_each() {
        assert!(ALPHA_2.windows(2).all(|pair| pair[0] < pair[1]), "sorted, no repeats");
        assert!(ALPHA_2.iter().all(|code| code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())));
    }

    #[test]
    fn assigned_codes_pass_and_others_do_not() {
        for code in ["GB", "US", "DE", "RU", "SS", "AX", "CW", "ZW", "AD"] {
            assert!(is_alpha_2(code), "{code}");
        }
        for code in ["UK", "EU", "XK", "ZZ", "gb", "G", "GBR", "", "A1", "YU"] {
            assert!(!is_alpha_2(code), "{code}");
        }
    }
}
