//! The stats function on in-memory embedded stores, shared by its test files; each adds the
//! helpers it needs in an `impl World` of its own.

use std::sync::Arc;

use bookworm_embedded::{EmbeddedCatalog, EmbeddedCoPurchases, EmbeddedFigures, EmbeddedShop};
use stats::Stats;

pub struct World {
    pub shop: Arc<EmbeddedShop>,
    pub figures: EmbeddedFigures,
    pub catalog: EmbeddedCatalog,
    pub co_purchases: EmbeddedCoPurchases,
}

impl World {
    pub fn new() -> Self {
        let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
        let figures = EmbeddedFigures::open(shop.clone()).unwrap();
        let co_purchases = EmbeddedCoPurchases::open(shop.clone()).unwrap();
        Self { shop, figures, catalog: EmbeddedCatalog::in_memory().unwrap(), co_purchases }
    }

    pub fn stats(&self) -> Stats<'_> {
        Stats {
            figures: &self.figures,
            orders: self.shop.as_ref(),
            books: &self.catalog,
            dedupe: self.shop.as_ref(),
            co_purchases: &self.co_purchases,
        }
    }
}
