//! Seed data: the real public-domain catalog the local stack starts with, the order the sample
//! events name, and a generator of large synthetic catalogs for benchmarks. All deterministic:
//! same input, same ids.

use std::collections::BTreeMap;

use bookworm_domain::basket::PricedLine;
use bookworm_domain::catalog::{Author, Book, BookStatus, CatalogData, Category, Publisher};
use bookworm_domain::ids::{
    AuthorId, BookId, CategoryId, IdempotencyKey, OrderId, PublisherId, ShopId, UserId,
};
use bookworm_domain::orders::{Order, OrderStatus};
use bookworm_domain::support::{
    AuthorRole, Conversation, ConversationStatus, Message, NewConversation, message_id,
};
use bookworm_domain::{Error, Money};

const SEED: &str = include_str!("../seed/catalog.psv");

/// Publishers of classics editions; each seeded book gets one, derived from its title.
const PUBLISHERS: [&str; 10] = [
    "Penguin Classics",
    "Oxford World's Classics",
    "Vintage Classics",
    "Wordsworth Editions",
    "Everyman's Library",
    "Modern Library",
    "Signet Classics",
    "Bantam Classics",
    "Dover Publications",
    "Norton Critical Editions",
];

/// The order `events/email/checkout-completed.json` announces: one copy of Emma, bought in the
/// sample shop by the sample customer (the user of the sample events, and whom `scripts/token`
/// signs for by default), so that every sample event works on a new data folder. Dated long
/// ago: orders placed since list before it, newest first.
pub fn sample_order() -> Result<Order, Error> {
    let emma = catalog()?
        .books
        .into_iter()
        .find(|book| book.name == "Emma")
        .ok_or_else(|| Error::invalid("seed", "has no Emma for the sample order"))?;
    let unit_price = emma.selling_price();
    Ok(Order {
        id: OrderId(uuid::uuid!("7c9e6679-7425-40de-944b-e07fc1f90ae7")),
        shop_id: ShopId(uuid::uuid!("123e4567-e89b-42d3-a456-426614174000")),
        buyer_id: UserId::new("5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f").expect("a user id"),
        buyer_email: Some("reader@example.com".into()),
        buyer_name: None,
        buyer_phone: Some("+79516519741".into()),
        lines: vec![PricedLine {
            book_id: emma.id,
            name: emma.name,
            unit_price,
            quantity: 1,
            line_total: unit_price,
            in_stock: true,
        }],
        total: unit_price,
        status: OrderStatus::New,
        created_at: "2024-12-24T10:00:00.000Z".into(),
        idempotency_key: IdempotencyKey::parse("sample-order").expect("a valid key"),
        fulfilment: Default::default(),
        shipping_address: None,
    })
}

/// The sample support conversation, as `events/support/open-conversation.json` opens it (its
/// id and its first message's derive from that event's `client_message_id`): what the other
/// support and chat samples refer to on a new data folder.
pub fn sample_conversation() -> Result<(Conversation, Message), Error> {
    let customer = UserId::new("5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f").expect("a user id");
    let opening = NewConversation {
        subject: "Where is my order?".into(),
        text: "I ordered Emma before Christmas and it has not arrived.".into(),
        order_id: Some(sample_order()?.id),
        book_id: None,
        client_message_id: Some(uuid::uuid!("0b7e3f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")),
    }
    .validate()?;
    let id = opening.conversation_id(&customer);
    let at = "2024-12-27T09:00:00.000Z";
    let conversation = Conversation {
        id,
        subject: opening.subject,
        status: ConversationStatus::Waiting,
        customer_id: customer.clone(),
        customer_name: None,
        assignee_id: None,
        order_id: opening.order_id,
        book_id: None,
        created_at: at.into(),
        last_message_at: at.into(),
        waiting_since: at.into(),
        closed_at: None,
        message_count: 0,
        customer_read: 0,
        support_read: 0,
        rating: None,
        version: 0,
        customer_email: Some("reader@example.com".into()),
        away_mailed: 0,
    };
    let first = Message {
        id: message_id(id, opening.client_message_id),
        conversation_id: id,
        seq: 0,
        author_id: customer,
        author_role: AuthorRole::Customer,
        text: opening.text,
        private: false,
        created_at: at.into(),
        client_message_id: opening.client_message_id,
    };
    conversation.append(first)
}

/// The seed catalog (`seed/catalog.psv`), validated by the domain's own rules.
pub fn catalog() -> Result<CatalogData, Error> {
    parse(SEED)
}

/// A catalog in the seed's format: `author|title|category|year|description` a line, `#`
/// comments and blank lines skipped. Every problem names its line.
fn parse(text: &str) -> Result<CatalogData, Error> {
    let mut authors = BTreeMap::new();
    let mut categories = BTreeMap::new();
    let publishers = publishers()?;
    let mut books = Vec::new();
    for (number, line) in
        text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let at_line = |err: Error| on_line(number + 1, err);
        let field = |name: &str| format!("seed line {}: {name}", number + 1);
        let [author, title, category, year, about] = line.split('|').collect::<Vec<_>>()[..] else {
            return Err(Error::invalid(field("line"), "needs author|title|category|year|description"));
        };
        let year: i32 = year.trim().parse().map_err(|_| Error::invalid(field("year"), "must be a year"))?;
        if about.trim().is_empty() {
            return Err(Error::invalid(field("description"), "says what the book is about"));
        }
        let author_id = AuthorId::derived(author);
        if let std::collections::btree_map::Entry::Vacant(e) = authors.entry(author_id) {
            e.insert(Author::new(author_id, author).map_err(at_line)?);
        }
        let category_id = CategoryId::derived(category);
        if let std::collections::btree_map::Entry::Vacant(e) = categories.entry(category_id) {
            e.insert(Category::new(category_id, category).map_err(at_line)?);
        }
        // The year has no field of its own in a Book: the description carries it, for readers
        // and for searches by period.
        let description = format!("{} First published {}.", about.trim(), era(year));
        let book =
            derived_book(BookId::derived(title), title, description, author_id, category_id, &publishers);
        books.push(book.map_err(at_line)?);
    }
    Ok(CatalogData {
        authors: authors.into_values().collect(),
        categories: categories.into_values().collect(),
        publishers,
        books,
    })
}

/// `err` with the seed line it came from in front of every field it names.
fn on_line(number: usize, err: Error) -> Error {
    match err {
        Error::Invalid(errors) => Error::Invalid(
            errors
                .into_iter()
                .map(|mut e| {
                    e.field = format!("seed line {number}: {}", e.field);
                    e
                })
                .collect(),
        ),
        other => other,
    }
}

/// A synthetic catalog of `count` books over the seed's categories, for load tests.
pub fn synthetic(count: usize) -> Result<CatalogData, Error> {
    const ADJECTIVES: [&str; 12] = [
        "Silent", "Crimson", "Hidden", "Last", "Winter", "Golden", "Broken", "Distant", "Secret", "Wild",
        "Quiet", "Iron",
    ];
    const NOUNS: [&str; 12] = [
        "River", "Garden", "Empire", "Voyage", "Lantern", "Harbour", "Mountain", "Letter", "Orchard",
        "Tower", "Island", "Crown",
    ];
    let seed = catalog()?;
    let authors: Vec<Author> = (0..(count / 20).max(50))
        .map(|i| Author::new(AuthorId::derived(&format!("synthetic author {i}")), &format!("Author {i:05}")))
        .collect::<Result<_, _>>()?;
    let mut books = Vec::with_capacity(count);
    for i in 0..count {
        let title = format!("The {} {} {}", ADJECTIVES[i % 12], NOUNS[(i / 12) % 12], i / 144 + 1);
        let author = &authors[i % authors.len()];
        let category = &seed.categories[i % seed.categories.len()];
        let description = synthetic_description(i);
        let id = BookId::derived(&format!("synthetic book {i}"));
        books.push(derived_book(id, &title, description, author.id, category.id, &seed.publishers)?);
    }
    Ok(CatalogData { authors, categories: seed.categories, publishers: seed.publishers, books })
}

/// About 200–300 characters of varied prose, derived from the book's number: phrases from
/// word lists and two invented names, so a large synthetic index has a realistic vocabulary
/// (tens of thousands of distinct words) for search benchmarks.
fn synthetic_description(i: usize) -> String {
    const OPENINGS: [&str; 8] = [
        "A sweeping tale of",
        "A quiet story about",
        "An unforgettable journey with",
        "A sharp comedy of",
        "A haunting portrait of",
        "A tender account of",
        "A gripping chronicle of",
        "A witty meditation on",
    ];
    const SUBJECTS: [&str; 24] = [
        "lighthouse keepers",
        "smugglers",
        "cartographers",
        "apothecaries",
        "orphaned heirs",
        "travelling players",
        "rival bakers",
        "exiled princes",
        "clockmakers",
        "river pilots",
        "botanists",
        "forgers",
        "shipwrights",
        "governesses",
        "mountain guides",
        "spies",
        "astronomers",
        "beekeepers",
        "detectives",
        "sailors",
        "weavers",
        "poets",
        "soldiers",
        "pilgrims",
    ];
    const PLACES: [&str; 16] = [
        "a northern fishing town",
        "the salt marshes",
        "a crumbling Venetian palace",
        "the Scottish highlands",
        "a frontier railway camp",
        "the streets of Lisbon",
        "an island monastery",
        "a Yorkshire mill town",
        "the court of a dying king",
        "a Baltic port",
        "the Andes",
        "a Cornish village",
        "a Parisian boarding house",
        "the Mississippi delta",
        "a desert caravan",
        "a London bookshop",
    ];
    const TURNS: [&str; 12] = [
        "until a stranger arrives with a map",
        "when a forgotten letter resurfaces",
        "as a long winter closes every road",
        "after a fire takes everything they own",
        "while an epidemic empties the streets",
        "when the harvest fails for a third year",
        "as war creeps closer each season",
        "until a debt comes due",
        "after an inheritance divides a family",
        "when a comet is sighted over the bay",
        "as an old friendship turns to rivalry",
        "until a secret wedding is discovered",
    ];
    const SYLLABLES: [&str; 40] = [
        "al", "ber", "cor", "da", "el", "fen", "gar", "hal", "is", "jor", "kel", "lin", "mar", "nor", "os",
        "per", "quin", "ros", "sel", "tam", "ul", "ver", "wen", "yar", "zel", "bra", "cas", "dre", "fal",
        "gri", "hes", "lor", "mir", "nes", "oth", "ran", "sta", "tor", "val", "wyn",
    ];
    let mut state = fnv1a(&format!("synthetic description {i}"));
    let mut pick = |n: usize| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % n
    };
    let mut name = || {
        let mut name: String = (0..3).map(|_| SYLLABLES[pick(SYLLABLES.len())]).collect();
        name[..1].make_ascii_uppercase();
        name
    };
    let (hero, rival) = (name(), name());
    let opening = OPENINGS[pick(OPENINGS.len())];
    let subject = SUBJECTS[pick(SUBJECTS.len())];
    let place = PLACES[pick(PLACES.len())];
    let turn = TURNS[pick(TURNS.len())];
    let other = SUBJECTS[pick(SUBJECTS.len())];
    format!(
        "{opening} {subject} in {place}, {turn}. {hero} must choose between loyalty and ambition, \
         while {rival} and a band of {other} close in. Book {i} of the synthetic catalog."
    )
}

fn publishers() -> Result<Vec<Publisher>, Error> {
    PUBLISHERS.iter().map(|name| Publisher::new(PublisherId::derived(name), name)).collect()
}

/// A book whose price, sale price, stock, publisher and ratings are derived from its title.
fn derived_book(
    id: BookId,
    title: &str,
    description: String,
    author: AuthorId,
    category: CategoryId,
    publishers: &[Publisher],
) -> Result<Book, Error> {
    let hash = fnv1a(title);
    let cents = |amount: u64| Money::from_cents(amount).map_err(|e| Error::invalid("price", e.to_string()));
    let price = cents(499 + (hash % 21) * 100)?;
    let draft = bookworm_domain::catalog::BookDraft {
        name: title.to_owned(),
        description,
        price,
        sale_price: if hash.is_multiple_of(5) { Some(cents(price.cents() - 200)?) } else { None },
        status: if hash.is_multiple_of(11) { BookStatus::OutOfStock } else { BookStatus::InStock },
        author_ids: vec![author],
        category_id: category,
        publisher_id: publishers[(hash >> 8) as usize % publishers.len()].id,
    };
    // No synthetic ratings: a rating is what readers' reviews say, or nothing yet.
    draft.validate(id)
}

fn era(year: i32) -> String {
    match year {
        ..0 => format!("around {} BC", -year),
        0..1000 => format!("around AD {year}"),
        _ => format!("in {year}"),
    }
}

/// FNV-1a: a tiny hash that, unlike std's, never changes between Rust releases.
fn fnv1a(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_seed_catalog_is_large_valid_and_consistent() {
        let data = catalog().unwrap();
        assert!(data.books.len() >= 200, "{} books", data.books.len());
        assert!(data.authors.len() >= 50, "{} authors", data.authors.len());
        assert!(data.categories.len() >= 10 && data.publishers.len() >= 10);
        let ids: HashSet<_> = data.books.iter().map(|b| b.id).collect();
        assert_eq!(ids.len(), data.books.len(), "book ids are unique");
        let authors: HashSet<_> = data.authors.iter().map(|a| a.id).collect();
        assert!(data.books.iter().all(|b| b.author_ids.iter().all(|a| authors.contains(a))));
        assert!(data.books.iter().any(|b| b.sale_price.is_some()));
        assert!(data.books.iter().any(|b| b.status == BookStatus::OutOfStock));
    }

    #[test]
    fn seeding_is_deterministic() {
        assert_eq!(catalog().unwrap(), catalog().unwrap());
        let emma = catalog().unwrap().books.into_iter().find(|b| b.name == "Emma").unwrap();
        assert_eq!(emma.id, BookId::derived("Emma"));
    }

    #[test]
    fn every_seed_book_says_what_it_is_about_and_when_it_appeared() {
        let data = catalog().unwrap();
        let mut seen = HashSet::new();
        for book in &data.books {
            let (about, era) = book.description.rsplit_once(" First published ").expect("an era");
            assert!((120..=300).contains(&about.len()), "{}: {} characters", book.name, about.len());
            assert!(about.ends_with('.') && era.ends_with('.'), "{}: whole sentences", book.name);
            assert!(seen.insert(about), "{}: a description of its own", book.name);
        }
        let emma = data.books.iter().find(|b| b.name == "Emma").unwrap();
        assert!(
            emma.description.contains("Highbury") && emma.description.ends_with("First published in 1815.")
        );
        let republic = data.books.iter().find(|b| b.name == "The Republic").unwrap();
        assert!(republic.description.ends_with("First published around 375 BC."), "{}", republic.description);
    }

    #[test]
    fn a_seed_line_without_a_description_is_refused_by_its_number() {
        let field = |text: &str| match parse(text).unwrap_err() {
            Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect::<Vec<_>>(),
            other => panic!("expected a validation error, got {other}"),
        };
        let good = "Jane Austen|Lady Susan|Fiction|1871|A widow schemes to marry well, told in letters.";
        assert_eq!(parse(good).unwrap().books.len(), 1);
        assert_eq!(field("# a comment\n\nJane Austen|Lady Susan|Fiction|1871\n"), ["seed line 3: line"]);
        assert_eq!(field("Jane Austen|Lady Susan|Fiction|1871|  \n"), ["seed line 1: description"]);
        assert_eq!(field(&format!("{good} A | B\n")), ["seed line 1: line"], "a | inside ends the column");
        let long = format!("Jane Austen|Lady Susan|Fiction|1871|{}", "w".repeat(500));
        assert_eq!(field(&long), ["seed line 1: description"], "the domain's length rule, on its line");
        assert_eq!(
            field("Jane Austen|Lady Susan|Fiction|1871|Letters.\u{202E}\n"),
            ["seed line 1: description"]
        );
    }

    #[test]
    fn synthetic_catalogs_have_the_asked_size_and_unique_ids() {
        let data = synthetic(1_000).unwrap();
        assert_eq!(data.books.len(), 1_000);
        let ids: HashSet<_> = data.books.iter().map(|b| b.id).collect();
        assert_eq!(ids.len(), 1_000);
    }
}
