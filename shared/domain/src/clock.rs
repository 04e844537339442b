//! Time as the domain writes it: RFC 3339 UTC with milliseconds (sort keys are built from these
//! strings), and Unix seconds (token expiries, TTLs).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// Whether `key` is `<RFC 3339 UTC time, milliseconds>#<hyphenated UUID>`, exactly as this
/// crate writes them: the tail of every newest-first sort key.
pub fn is_time_and_id(key: &str) -> bool {
    let Some((time, id)) = key.split_once('#') else { return false };
    let time_is_ours = OffsetDateTime::parse(time, &Rfc3339).is_ok_and(|t| rfc3339_millis(t) == time);
    let id_is_ours = id.parse::<Uuid>().is_ok_and(|uuid| uuid.hyphenated().to_string() == id);
    time_is_ours && id_is_ours
}

/// Now, in Unix seconds: the unit of token expiries and DynamoDB TTLs.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// Now, as RFC 3339 UTC with millisecond precision.
pub fn now_rfc3339() -> String {
    rfc3339_millis(OffsetDateTime::now_utc())
}

/// RFC 3339 UTC with exactly three fractional digits, always. Sort keys are built from these
/// strings, and a formatter that drops a zero fraction ("…:36Z") would sort that instant after
/// "…:36.003Z" ('Z' > '.').
pub fn rfc3339_millis(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_a_fixed_width_so_they_sort_as_strings() {
        let whole = OffsetDateTime::from_unix_timestamp(1_795_530_600).unwrap();
        let later = whole + time::Duration::milliseconds(3);
        assert_eq!(rfc3339_millis(whole), "2026-11-24T14:30:00.000Z");
        assert!(rfc3339_millis(whole) < rfc3339_millis(later));
        assert!(OffsetDateTime::parse(&rfc3339_millis(later), &Rfc3339).is_ok());
    }
}
