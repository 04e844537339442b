//! The functions the local stack can run in-process, by their binary name in template.yaml.
//! A template route naming any other function stops the stack at start, so a new function
//! cannot be deployed without being runnable locally.

use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};

use crate::stores::Stores;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    CatalogBooks,
    CatalogLookups,
    CatalogAdmin,
    Account,
    Publish,
    Basket,
    Checkout,
    Orders,
    Reviews,
    Search,
    Support,
    Admin,
    Mcp,
}

impl Function {
    pub const ALL: [Function; 13] = [
        Function::CatalogBooks,
        Function::CatalogLookups,
        Function::CatalogAdmin,
        Function::Account,
        Function::Publish,
        Function::Basket,
        Function::Checkout,
        Function::Orders,
        Function::Reviews,
        Function::Search,
        Function::Support,
        Function::Admin,
        Function::Mcp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::CatalogBooks => "catalog-books",
            Self::CatalogLookups => "catalog-lookups",
            Self::CatalogAdmin => "catalog-admin",
            Self::Account => "account",
            Self::Publish => "publish",
            Self::Basket => "basket",
            Self::Checkout => "checkout",
            Self::Orders => "orders",
            Self::Reviews => "reviews",
            Self::Search => "search",
            Self::Support => "support",
            Self::Admin => "admin",
            Self::Mcp => "mcp",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|function| function.name() == name)
    }

    /// Runs the function's handler, exactly as its Lambda `main` does. Boxed: the handlers'
    /// futures are kilobytes, and every layer around an unboxed one (metrics scopes, the
    /// router, hyper) would copy it again, a measurable share of a request's CPU.
    pub fn call(self, stores: &Stores, request: Request) -> BoxFuture<'_, Response<Body>> {
        Box::pin(async move { self.run(stores, request).await })
    }

    async fn run(self, stores: &Stores, request: Request) -> Response<Body> {
        match self {
            Self::CatalogBooks => {
                catalog_books::handle(stores.catalog.as_ref(), stores.reviews.as_ref(), request).await
            }
            Self::CatalogLookups => catalog_lookups::handle(stores.catalog.as_ref(), request).await,
            Self::CatalogAdmin => catalog_admin::handle(stores.catalog.as_ref(), request).await,
            Self::Account => {
                let shop = stores.shop.as_ref();
                let push = stores.push.as_ref();
                account::handle(
                    &account::Stores { preferences: shop, profiles: shop, devices: shop, push },
                    request,
                )
                .await
            }
            Self::Publish => publish::handle(stores.shop.as_ref(), request).await,
            Self::Basket => basket::handle(stores.catalog.as_ref(), stores.shop.as_ref(), request).await,
            Self::Checkout => {
                let shop = stores.shop.as_ref();
                let stores = checkout::Stores {
                    books: stores.catalog.as_ref(),
                    baskets: shop,
                    orders: shop,
                    profiles: shop,
                    contacts: Default::default(),
                };
                checkout::handle(&stores, request).await
            }
            Self::Orders => orders::handle(stores.shop.as_ref(), request).await,
            Self::Reviews => {
                let service = reviews::Reviews {
                    books: stores.catalog.as_ref(),
                    reviews: stores.reviews.as_ref(),
                    purchases: stores.reviews.as_ref(),
                    policy: stores.review_policy,
                };
                reviews::handle(&service, request).await
            }
            Self::Search => search::handle(&stores.search(), request).await,
            Self::Support => support::handle(&stores.support(), request).await,
            Self::Admin => admin::handle(&stores.admin(), request).await,
            Self::Mcp => stores.mcp.handle(request).await,
        }
    }
}
