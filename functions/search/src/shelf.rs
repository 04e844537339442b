//! Books to show beside a book and to a signed-in buyer: also-bought (co-purchases, filled
//! from similar books) and recommendations (from the buyer's orders and well-rated reviews).
//! Both read only: co-purchase records by key, the buyer's orders (`by_buyer`) and reviews
//! (`by_reviewer`), the index for cards. A book the index no longer has (deleted) never shows.

use std::collections::{HashMap, HashSet};

use bookworm_domain::Error;
use bookworm_domain::copurchase::{
    AlsoBought, Because, PartnerKey, Recommendation, SHELF_MAX, SeedKind, ShelfSource,
};
use bookworm_domain::events::EventCursor;
use bookworm_domain::ids::{BookId, UserId};
use bookworm_domain::ports::{OrderQuery, OrderScope};
use bookworm_domain::query::{MAX_PAGE_SIZE, PageSize};
use bookworm_domain::search::BookCard;

use crate::Stores;

/// Books of the buyer's newest orders that seed recommendations.
pub const SEEDS_BOUGHT: usize = 10;
/// Books of the buyer's newest well-rated reviews that seed them (4 or 5 stars).
pub const SEEDS_RATED: usize = 10;
/// The stars a review needs to seed recommendations.
pub const RATED_AT_LEAST: u8 = 4;
/// The newest reviews read: their books are never recommended, the well-rated ones seed.
pub const REVIEWS_READ: usize = 100;
/// Candidates taken from each seed's co-purchases and from its similar books.
pub const PER_SEED: usize = SHELF_MAX;
/// Reciprocal-rank fusion's constant, as hybrid search's.
const RRF_K: f64 = 60.0;

/// `GET /books/{id}/also-bought`: `None` for a book the index does not have.
pub async fn also_bought(
    stores: &Stores<'_>,
    id: BookId,
    limit: usize,
) -> Result<Option<Vec<AlsoBought>>, Error> {
    if stores.search.cards(&[id]).await?.is_empty() {
        return Ok(None);
    }
    let record = stores.co_purchases.partners(PartnerKey::Book(id)).await?;
    let partners: Vec<BookId> =
        record.counts.iter().map(|(book, _)| *book).filter(|book| *book != id).collect();
    let mut shelf: Vec<AlsoBought> = stores
        .search
        .cards(&partners)
        .await?
        .into_iter()
        .take(limit)
        .map(|book| AlsoBought {
            count: record.count(book.id),
            book,
            source: ShelfSource::CoPurchase,
            similarity: None,
        })
        .collect();
    if shelf.len() < limit && stores.search.ranks_by_meaning() {
        let similar = stores.search.similar(id, SHELF_MAX).await?.unwrap_or_default();
        for near in similar {
            if shelf.len() == limit {
                break;
            }
            if near.book.id != id && shelf.iter().all(|kept| kept.book.id != near.book.id) {
                shelf.push(AlsoBought {
                    book: near.book,
                    source: ShelfSource::Similar,
                    count: None,
                    similarity: Some(near.similarity),
                });
            }
        }
    }
    Ok(Some(shelf))
}

/// A seed: a book the buyer bought or rated well, and its title for the reason.
#[derive(Debug, Clone)]
struct Seed {
    book: BookId,
    title: String,
    kind: SeedKind,
}

/// What the buyer's history says: every book ordered or reviewed (never recommended), and
/// the seeds, newest first.
struct History {
    excluded: HashSet<BookId>,
    seeds: Vec<Seed>,
}

async fn history(stores: &Stores<'_>, buyer: &UserId) -> Result<History, Error> {
    let mut excluded = HashSet::new();
    let mut bought: Vec<(BookId, String)> = Vec::new();
    let mut query = OrderQuery {
        scope: OrderScope::Buyer(buyer.clone()),
        limit: PageSize::new(MAX_PAGE_SIZE)?,
        ..OrderQuery::default()
    };
    // Every order, newest first: all of them for the exclusion, the newest books as seeds.
    loop {
        let page = stores.orders.list_orders(&query).await?;
        for order in &page.items {
            for line in &order.lines {
                if excluded.insert(line.book_id) {
                    bought.push((line.book_id, line.name.clone()));
                }
            }
        }
        match page.next_cursor {
            Some(cursor) => query.after = Some(EventCursor::decode(&cursor)?),
            None => break,
        }
    }
    let reviewed = stores.reviews.reviewed_by(buyer, REVIEWS_READ).await?;
    let rated: Vec<BookId> = reviewed
        .iter()
        .filter(|(book, stars)| *stars >= RATED_AT_LEAST && !excluded.contains(book))
        .map(|(book, _)| *book)
        .take(SEEDS_RATED)
        .collect();
    excluded.extend(reviewed.iter().map(|(book, _)| *book));

    let bought: Vec<(BookId, String)> = bought.into_iter().take(SEEDS_BOUGHT).collect();
    let ids: Vec<BookId> = bought.iter().map(|(id, _)| *id).chain(rated.iter().copied()).collect();
    let live: HashMap<BookId, String> =
        stores.search.cards(&ids).await?.into_iter().map(|card| (card.id, card.name)).collect();
    let mut seeds: Vec<Seed> = bought
        .into_iter()
        .map(|(book, name)| Seed {
            book,
            title: live.get(&book).cloned().unwrap_or(name),
            kind: SeedKind::Bought,
        })
        .collect();
    // A rated book gone from the catalog has no title to give: it seeds nothing.
    seeds.extend(rated.into_iter().filter_map(|book| {
        live.get(&book).map(|title| Seed { book, title: title.clone(), kind: SeedKind::Rated })
    }));
    Ok(History { excluded, seeds })
}

/// `GET /me/recommendations`: candidates from each seed's co-purchases and similar books,
/// fused by reciprocal rank, each with the seed that gave it most; never a book the buyer
/// ordered or reviewed; filled from the most ordered books when short (a buyer without history).
pub async fn recommendations(
    stores: &Stores<'_>,
    buyer: &UserId,
    limit: usize,
) -> Result<Vec<Recommendation>, Error> {
    let History { excluded, seeds } = history(stores, buyer).await?;
    let mut lists: Vec<(usize, Vec<BookId>)> = Vec::new();
    for (index, seed) in seeds.iter().enumerate() {
        let record = stores.co_purchases.partners(PartnerKey::Book(seed.book)).await?;
        lists.push((index, record.counts.iter().map(|(book, _)| *book).take(PER_SEED).collect()));
        if stores.search.ranks_by_meaning() {
            let similar = stores.search.similar(seed.book, PER_SEED).await?.unwrap_or_default();
            lists.push((index, similar.into_iter().map(|near| near.book.id).collect()));
        }
    }
    let fused = fuse(&lists, &excluded);
    let ranked: Vec<BookId> = fused.iter().map(|(book, _, _)| *book).collect();
    let cards = cards_by_id(stores, &ranked).await?;
    let mut shelf: Vec<Recommendation> = fused
        .into_iter()
        .filter_map(|(book, score, seed)| {
            let seed = &seeds[seed];
            cards.get(&book).map(|card| Recommendation {
                book: card.clone(),
                score,
                because: Some(Because { book_id: seed.book, title: seed.title.clone(), kind: seed.kind }),
            })
        })
        .take(limit)
        .collect();
    if shelf.len() < limit {
        let popular = stores.co_purchases.partners(PartnerKey::Popular).await?;
        let chosen: HashSet<BookId> = shelf.iter().map(|kept| kept.book.id).collect();
        let fill: Vec<BookId> = popular
            .counts
            .iter()
            .map(|(book, _)| *book)
            .filter(|book| !excluded.contains(book) && !chosen.contains(book))
            .collect();
        let room = limit - shelf.len();
        shelf.extend(stores.search.cards(&fill).await?.into_iter().take(room).map(|book| Recommendation {
            book,
            score: 0.0,
            because: None,
        }));
    }
    Ok(shelf)
}

async fn cards_by_id(stores: &Stores<'_>, ids: &[BookId]) -> Result<HashMap<BookId, BookCard>, Error> {
    Ok(stores.search.cards(ids).await?.into_iter().map(|card| (card.id, card)).collect())
}

/// Reciprocal-rank fusion of ranked lists, each from one seed (its index): a book scores
/// `Σ 1 / (60 + rank)` over the lists it is in, and names the seed whose lists gave it most.
/// Best first, ties by id; books of `excluded` left out.
fn fuse(lists: &[(usize, Vec<BookId>)], excluded: &HashSet<BookId>) -> Vec<(BookId, f64, usize)> {
    let mut scores: HashMap<BookId, (f64, HashMap<usize, f64>)> = HashMap::new();
    for (seed, list) in lists {
        for (rank, book) in list.iter().enumerate() {
            if excluded.contains(book) {
                continue;
            }
            let term = 1.0 / (RRF_K + rank as f64 + 1.0);
            let entry = scores.entry(*book).or_default();
            entry.0 += term;
            *entry.1.entry(*seed).or_default() += term;
        }
    }
    let mut fused: Vec<(BookId, f64, usize)> = scores
        .into_iter()
        .map(|(book, (score, by_seed))| {
            let seed = by_seed
                .into_iter()
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(seed, _)| seed)
                .unwrap_or_default();
            (book, score, seed)
        })
        .collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(n: u32) -> BookId {
        BookId::derived(&format!("book {n}"))
    }

    #[test]
    fn fusion_ranks_books_in_more_lists_higher_and_names_the_strongest_seed() {
        let lists = vec![(0, vec![book(1), book(2)]), (1, vec![book(2), book(3)]), (1, vec![book(9)])];
        let fused = fuse(&lists, &HashSet::from([book(9)]));
        let order: Vec<BookId> = fused.iter().map(|(id, _, _)| *id).collect();
        assert_eq!(order[0], book(2), "in two lists");
        assert_eq!(fused[0].2, 1, "first in seed 1's list, second in seed 0's");
        assert!(!order.contains(&book(9)), "excluded");
        assert_eq!(order.len(), 3);
    }
}
