//! In-store devices (scanners, self-checkout kiosks, shelf displays) talk MQTT: each publishes
//! its shop's checkout actions on one topic, `shops/{shop_id}/actions`, and on no other. The
//! topic names the shop; the authorizer allows a device its own shop's topic only, and the
//! handler reads the shop back from the topic it was delivered on.

use crate::ids::ShopId;

/// The one topic a device of `shop` may publish on.
pub fn actions_topic(shop: ShopId) -> String {
    format!("shops/{shop}/actions")
}

/// The shop of an actions topic, `None` for any other topic. The shop id must be written as
/// [`actions_topic`] writes it (hyphenated, lower case), so one shop has exactly one topic and
/// an allow-list of topics cannot be dodged by another spelling of the same id.
pub fn shop_of_actions_topic(topic: &str) -> Option<ShopId> {
    let id = topic.strip_prefix("shops/")?.strip_suffix("/actions")?;
    let shop: ShopId = id.parse().ok()?;
    (shop.to_string() == id).then_some(shop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shop_has_one_topic_and_it_reads_back() {
        let shop = ShopId::random();
        assert_eq!(shop_of_actions_topic(&actions_topic(shop)), Some(shop));
    }

    #[test]
    fn other_topics_and_other_spellings_are_no_actions_topic() {
        let shop = ShopId::random();
        let upper = format!("shops/{}/actions", shop.to_string().to_uppercase());
        let simple = format!("shops/{}/actions", shop.0.simple());
        for topic in [
            upper.as_str(),
            simple.as_str(),
            "shops/+/actions",
            "shops/#",
            "shops//actions",
            &format!("shops/{shop}/actions/extra"),
            &format!("/shops/{shop}/actions"),
            &format!("shops/{shop}/orders"),
            "",
        ] {
            assert_eq!(shop_of_actions_topic(topic), None, "{topic}");
        }
    }
}
