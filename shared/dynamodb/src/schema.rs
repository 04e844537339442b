//! The DynamoDB tables of template.yaml, created from the template itself: tests and the local
//! stack (moto, DynamoDB Local) get the keys, indexes, stream and TTL that `sam deploy` creates,
//! from the one definition there is. Behind the `schema` feature, so the Lambda binaries carry
//! no YAML parser.
//!
//! Each `AWS::DynamoDB::Table` resource is read strictly: a property this module does not turn
//! into a DynamoDB call is an error, so a table setting added to the template cannot silently
//! go missing here. Left out on purpose, because moto and DynamoDB Local behave like AWS for our
//! code without them:
//!
//! - `TableName`: names come from the caller (unique per test, from the environment locally);
//! - `SSESpecification`, `PointInTimeRecoverySpecification`: encryption at rest and backups
//!   change no request's answer;
//! - the resource attributes `DeletionPolicy` and `UpdateReplacePolicy`: what CloudFormation
//!   does with a table it removes or replaces.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, LocalSecondaryIndex,
    Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use bookworm_domain::Error;
use serde_yaml_ng::Value;

use crate::unavailable;

/// The SAM template, read at build time (cargo rebuilds this crate when it changes).
const TEMPLATE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../template.yaml"));

/// The logical ids in the template of the catalog table and of the tables `ShopTables` names.
const CATALOG: &str = "CatalogTable";
const EVENTS: &str = "EventsTable";
const CONNECTIONS: &str = "ConnectionsTable";
const CLAIMS: &str = "ClaimsTable";
const BASKETS: &str = "BasketsTable";
const ORDERS: &str = "OrdersTable";
const PREFERENCES: &str = "PreferencesTable";
const DEVICES: &str = "DevicesTable";
const PROFILES: &str = "ProfilesTable";
const REVIEWS_TABLE: &str = "ReviewsTable";
const SUPPORT: &str = "SupportTable";
const FIGURES: &str = "FiguresTable";

/// How long a new table may take to become active before its TTL can be set (AWS takes
/// seconds; moto and DynamoDB Local create it active).
const ACTIVE_WITHIN: std::time::Duration = std::time::Duration::from_secs(120);

/// Creates the table the template defines as `logical_id` (e.g. `CatalogTable`), named `name`,
/// then turns on its TTL if the template declares one.
pub async fn create_table(client: &Client, logical_id: &str, name: &str) -> Result<(), Error> {
    Template::parse(TEMPLATE)?.table(logical_id)?.create(client, name).await
}

/// The catalog table (`CatalogTable`).
pub async fn create_catalog_table(client: &Client, name: &str) -> Result<(), Error> {
    create_table(client, CATALOG, name).await
}

/// The reviews table (`ReviewsTable`).
pub async fn create_reviews_table(client: &Client, name: &str) -> Result<(), Error> {
    create_table(client, REVIEWS_TABLE, name).await
}

/// The profiles table (`ProfilesTable`).
pub async fn create_profiles_table(client: &Client, name: &str) -> Result<(), Error> {
    create_table(client, PROFILES, name).await
}

/// The devices table (`DevicesTable`).
pub async fn create_devices_table(client: &Client, name: &str) -> Result<(), Error> {
    create_table(client, DEVICES, name).await
}

/// The support table (`SupportTable`).
pub async fn create_support_table(client: &Client, name: &str) -> Result<(), Error> {
    create_table(client, SUPPORT, name).await
}

/// The figures table (`FiguresTable`).
pub async fn create_figures_table(client: &Client, name: &str) -> Result<(), Error> {
    create_table(client, FIGURES, name).await
}

/// The shop tables, named by `tables`: events, connections, claims, baskets, orders,
/// preferences.
pub async fn create_shop_tables(client: &Client, tables: &crate::ShopTables) -> Result<(), Error> {
    let template = Template::parse(TEMPLATE)?;
    let named = [
        (EVENTS, &tables.events),
        (CONNECTIONS, &tables.connections),
        (CLAIMS, &tables.claims),
        (BASKETS, &tables.baskets),
        (ORDERS, &tables.orders),
        (PREFERENCES, &tables.preferences),
    ];
    // Every definition is looked up first, so a missing one creates nothing.
    let definitions =
        named.iter().map(|(id, name)| Ok((template.table(id)?, *name))).collect::<Result<Vec<_>, Error>>()?;
    for (table, name) in definitions {
        table.create(client, name).await?;
    }
    Ok(())
}

/// Every table the functions are told about (`Globals.Function.Environment.Variables`, e.g.
/// `CATALOG_TABLE: !Ref CatalogTable`), named by that variable in this process's environment,
/// in the DynamoDB the environment points at: moto or DynamoDB Local for benchmarks and
/// experiments (`bookworm-local create-tables`).
pub async fn create_tables_from_env() -> Result<(), Error> {
    let template = Template::parse(TEMPLATE)?;
    if template.variables.is_empty() {
        return Err(shape("Globals.Function.Environment.Variables names no table"));
    }
    // Every name is read first, so a missing variable creates nothing.
    let named = template
        .variables
        .iter()
        .map(|variable| Ok((template.table(&variable.logical_id)?, crate::required_env(&variable.variable)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let client = Client::new(&crate::sdk_config_from_env()?);
    for (table, name) in named {
        table.create(&client, &name).await?;
    }
    Ok(())
}

/// An environment variable that names a table (`CATALOG_TABLE`), and that table's logical id in
/// the template (`CatalogTable`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TableVariable {
    variable: String,
    logical_id: String,
}

/// What this module needs of the template.
#[derive(Debug)]
struct Template {
    /// Each `AWS::DynamoDB::Table` by logical id, in template order.
    tables: Vec<(String, Table)>,
    /// The global environment variables that are a `!Ref` to one of `tables`.
    variables: Vec<TableVariable>,
}

impl Template {
    /// Reads every table, failing on the first one this module does not fully understand.
    fn parse(text: &str) -> Result<Self, Error> {
        let root: Value = serde_yaml_ng::from_str(text).map_err(|e| shape(format!("not valid YAML: {e}")))?;
        let resources =
            root.get("Resources").and_then(Value::as_mapping).ok_or_else(|| shape("has no Resources"))?;
        let mut tables = Vec::new();
        for (id, resource) in resources {
            if resource.get("Type").and_then(Value::as_str) != Some("AWS::DynamoDB::Table") {
                continue;
            }
            let id =
                id.as_str().ok_or_else(|| shape(format!("a table's logical id is not a string: {id:?}")))?;
            let table = read_table(resource).map_err(|e| shape(format!("{id}: {e}")))?;
            tables.push((id.to_owned(), table));
        }
        let variables = root
            .get("Globals")
            .and_then(|globals| globals.get("Function"))
            .and_then(|function| function.get("Environment"))
            .and_then(|environment| environment.get("Variables"))
            .and_then(Value::as_mapping);
        let mut table_variables = Vec::new();
        for (variable, value) in variables.into_iter().flatten() {
            // Only `!Ref <table>` names a table; other variables (and refs to parameters) do not.
            let Value::Tagged(tagged) = value else { continue };
            let Some(target) = tagged.value.as_str().filter(|_| tagged.tag == "Ref") else { continue };
            if !tables.iter().any(|(id, _)| id == target) {
                continue;
            }
            let variable = variable.as_str().ok_or_else(|| {
                shape(format!("an environment variable's name is not a string: {variable:?}"))
            })?;
            table_variables
                .push(TableVariable { variable: variable.to_owned(), logical_id: target.to_owned() });
        }
        Ok(Self { tables, variables: table_variables })
    }

    fn table(&self, logical_id: &str) -> Result<&Table, Error> {
        self.tables
            .iter()
            .find(|(id, _)| id == logical_id)
            .map(|(_, table)| table)
            .ok_or_else(|| shape(format!("has no AWS::DynamoDB::Table named {logical_id}")))
    }
}

/// Table properties left out on purpose (see the module docs).
const IGNORED_PROPERTIES: [&str; 3] = ["TableName", "SSESpecification", "PointInTimeRecoverySpecification"];

/// One table resource, refusing anything it does not understand.
fn read_table(resource: &Value) -> Result<Table, String> {
    let resource = serde_path_to_error::deserialize::<_, yaml::TableResource>(resource)
        .map_err(|e| not_understood(None, &e))?;
    let mut properties = resource.properties;
    for ignored in IGNORED_PROPERTIES {
        properties.remove(ignored);
    }
    let properties = Value::Mapping(properties);
    refuse_functions(&properties, "Properties")?;
    let properties = serde_path_to_error::deserialize::<_, yaml::Properties>(&properties)
        .map_err(|e| not_understood(Some("Properties"), &e))?;
    Table::from_properties(properties).map_err(|e| e.to_string())
}

/// A deserialization failure, with the path to what failed (below `within`).
fn not_understood(within: Option<&str>, error: &serde_path_to_error::Error<serde_yaml_ng::Error>) -> String {
    let path = error.path().to_string();
    let place = match (within, path.as_str()) {
        (Some(within), ".") => format!("{within}: "),
        (Some(within), path) => format!("{within}.{path}: "),
        (None, ".") => String::new(),
        (None, path) => format!("{path}: "),
    };
    format!("{place}{} (schema.rs creates a table only from what it understands)", error.inner())
}

/// `!Ref`, `!Sub` and the like have no value outside CloudFormation; serde_yaml_ng would read
/// some of them as their argument (`!Ref Key` as `Key`), so none may reach the typed structs.
fn refuse_functions(value: &Value, path: &str) -> Result<(), String> {
    match value {
        Value::Tagged(tagged) => {
            Err(format!("{path} is `{}`, a CloudFormation function schema.rs cannot evaluate", tagged.tag))
        }
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, item)| refuse_functions(item, &format!("{path}[{index}]"))),
        Value::Mapping(entries) => entries.iter().try_for_each(|(key, item)| {
            refuse_functions(item, &format!("{path}.{}", key.as_str().unwrap_or("?")))
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => Ok(()),
    }
}

/// A table of the template in the SDK's terms: what CreateTable and UpdateTimeToLive take.
#[derive(Debug, Clone)]
struct Table {
    attribute_definitions: Vec<AttributeDefinition>,
    key_schema: Vec<KeySchemaElement>,
    billing_mode: BillingMode,
    local_secondary_indexes: Option<Vec<LocalSecondaryIndex>>,
    global_secondary_indexes: Option<Vec<GlobalSecondaryIndex>>,
    stream_specification: Option<StreamSpecification>,
    /// The attribute DynamoDB expires items by, when the template turns TTL on.
    time_to_live: Option<String>,
}

impl Table {
    fn from_properties(properties: yaml::Properties) -> Result<Self, Error> {
        let attribute_definitions = properties
            .attribute_definitions
            .into_iter()
            .map(|attribute| {
                AttributeDefinition::builder()
                    .attribute_name(attribute.attribute_name)
                    .attribute_type(attribute.attribute_type.into())
                    .build()
                    .map_err(describe)
            })
            .collect::<Result<_, _>>()?;
        let local_secondary_indexes = properties
            .local_secondary_indexes
            .map(|indexes| {
                indexes
                    .into_iter()
                    .map(|index| {
                        LocalSecondaryIndex::builder()
                            .index_name(index.index_name)
                            .set_key_schema(Some(key_schema(index.key_schema)?))
                            .projection(projection(index.projection))
                            .build()
                            .map_err(describe)
                    })
                    .collect::<Result<_, _>>()
            })
            .transpose()?;
        let global_secondary_indexes = properties
            .global_secondary_indexes
            .map(|indexes| {
                indexes
                    .into_iter()
                    .map(|index| {
                        GlobalSecondaryIndex::builder()
                            .index_name(index.index_name)
                            .set_key_schema(Some(key_schema(index.key_schema)?))
                            .projection(projection(index.projection))
                            .build()
                            .map_err(describe)
                    })
                    .collect::<Result<_, _>>()
            })
            .transpose()?;
        // CloudFormation enables the stream whenever a StreamSpecification is given.
        let stream_specification = properties
            .stream_specification
            .map(|stream| {
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(stream.stream_view_type.into())
                    .build()
                    .map_err(describe)
            })
            .transpose()?;
        let time_to_live =
            properties.time_to_live_specification.filter(|ttl| ttl.enabled).map(|ttl| ttl.attribute_name);
        Ok(Self {
            attribute_definitions,
            key_schema: key_schema(properties.key_schema)?,
            billing_mode: properties.billing_mode.into(),
            local_secondary_indexes,
            global_secondary_indexes,
            stream_specification,
            time_to_live,
        })
    }

    /// CreateTable, then (once the table is active, as AWS requires) UpdateTimeToLive.
    async fn create(&self, client: &Client, name: &str) -> Result<(), Error> {
        client
            .create_table()
            .table_name(name)
            .set_attribute_definitions(Some(self.attribute_definitions.clone()))
            .set_key_schema(Some(self.key_schema.clone()))
            .billing_mode(self.billing_mode.clone())
            .set_local_secondary_indexes(self.local_secondary_indexes.clone())
            .set_global_secondary_indexes(self.global_secondary_indexes.clone())
            .set_stream_specification(self.stream_specification.clone())
            .send()
            .await
            .map_err(|e| failed("create a table", name, e))?;
        let Some(attribute) = &self.time_to_live else { return Ok(()) };
        client
            .wait_until_table_exists()
            .table_name(name)
            .wait(ACTIVE_WITHIN)
            .await
            .map_err(|e| failed("wait for a new table", name, e))?;
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(true)
            .build()
            .map_err(describe)?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|e| failed("turn on a table's TTL", name, e))?;
        Ok(())
    }
}

fn key_schema(keys: Vec<yaml::KeySchema>) -> Result<Vec<KeySchemaElement>, Error> {
    keys.into_iter()
        .map(|key| {
            KeySchemaElement::builder()
                .attribute_name(key.attribute_name)
                .key_type(key.key_type.into())
                .build()
                .map_err(describe)
        })
        .collect()
}

fn projection(projection: yaml::Projection) -> Projection {
    Projection::builder()
        .set_projection_type(projection.projection_type.map(Into::into))
        .set_non_key_attributes(projection.non_key_attributes)
        .build()
}

/// The template does not say what this module can create.
fn shape(message: impl Into<String>) -> Error {
    Error::unavailable("template.yaml", message.into())
}

fn describe(error: aws_sdk_dynamodb::error::BuildError) -> Error {
    unavailable("describe a table", error)
}

/// An SDK failure naming the table, since one call creates several.
fn failed<E: std::error::Error + Send + Sync + 'static>(
    context: &'static str,
    table: &str,
    error: E,
) -> Error {
    Error::unavailable(context, format!("{table}: {}", DisplayErrorContext(error)))
}

/// The template's table resources as CloudFormation spells them. Every struct refuses fields it
/// does not list, so a property nothing here handles is an error, not ignored (`read_table`
/// takes out the properties ignored on purpose first).
mod yaml {
    use serde::Deserialize;
    use serde::de::IgnoredAny;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub(super) struct TableResource {
        #[serde(rename = "Type")]
        _kind: IgnoredAny,
        /// Read by `read_table`, once the ignored properties are out.
        pub(super) properties: serde_yaml_ng::Mapping,
        /// Ignored: see the module docs of `schema`.
        #[serde(rename = "DeletionPolicy")]
        _deletion_policy: Option<IgnoredAny>,
        #[serde(rename = "UpdateReplacePolicy")]
        _update_replace_policy: Option<IgnoredAny>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub(super) struct Properties {
        pub(super) attribute_definitions: Vec<AttributeDefinition>,
        pub(super) key_schema: Vec<KeySchema>,
        /// Required although CloudFormation defaults it: its default, PROVISIONED, needs the
        /// ProvisionedThroughput this module does not handle.
        pub(super) billing_mode: BillingMode,
        pub(super) local_secondary_indexes: Option<Vec<LocalSecondaryIndex>>,
        pub(super) global_secondary_indexes: Option<Vec<GlobalSecondaryIndex>>,
        pub(super) stream_specification: Option<StreamSpecification>,
        pub(super) time_to_live_specification: Option<TimeToLiveSpecification>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub(super) struct AttributeDefinition {
        pub(super) attribute_name: String,
        pub(super) attribute_type: AttributeType,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub(super) struct KeySchema {
        pub(super) attribute_name: String,
        pub(super) key_type: KeyType,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub(super) struct LocalSecondaryIndex {
        pub(super) index_name: String,
        pub(super) key_schema: Vec<KeySchema>,
        pub(super) projection: Projection,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub(super) struct GlobalSecondaryIndex {
        pub(super) index_name: String,
        pub(super) key_schema: Vec<KeySchema>,
        pub(super) projection: Projection,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub(super) struct Projection {
        pub(super) projection_type: Option<ProjectionType>,
        pub(super) non_key_attributes: Option<Vec<String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub(super) struct StreamSpecification {
        pub(super) stream_view_type: StreamViewType,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    pub(super) struct TimeToLiveSpecification {
        pub(super) attribute_name: String,
        pub(super) enabled: bool,
    }

    #[derive(Debug, Clone, Copy, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub(super) enum BillingMode {
        PayPerRequest,
    }

    #[derive(Debug, Clone, Copy, Deserialize)]
    pub(super) enum AttributeType {
        S,
        N,
        B,
    }

    #[derive(Debug, Clone, Copy, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub(super) enum KeyType {
        Hash,
        Range,
    }

    #[derive(Debug, Clone, Copy, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub(super) enum ProjectionType {
        All,
        KeysOnly,
        Include,
    }

    #[derive(Debug, Clone, Copy, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub(super) enum StreamViewType {
        KeysOnly,
        NewImage,
        OldImage,
        NewAndOldImages,
    }
}

impl From<yaml::BillingMode> for BillingMode {
    fn from(mode: yaml::BillingMode) -> Self {
        match mode {
            yaml::BillingMode::PayPerRequest => BillingMode::PayPerRequest,
        }
    }
}

impl From<yaml::AttributeType> for ScalarAttributeType {
    fn from(kind: yaml::AttributeType) -> Self {
        match kind {
            yaml::AttributeType::S => ScalarAttributeType::S,
            yaml::AttributeType::N => ScalarAttributeType::N,
            yaml::AttributeType::B => ScalarAttributeType::B,
        }
    }
}

impl From<yaml::KeyType> for KeyType {
    fn from(kind: yaml::KeyType) -> Self {
        match kind {
            yaml::KeyType::Hash => KeyType::Hash,
            yaml::KeyType::Range => KeyType::Range,
        }
    }
}

impl From<yaml::ProjectionType> for ProjectionType {
    fn from(kind: yaml::ProjectionType) -> Self {
        match kind {
            yaml::ProjectionType::All => ProjectionType::All,
            yaml::ProjectionType::KeysOnly => ProjectionType::KeysOnly,
            yaml::ProjectionType::Include => ProjectionType::Include,
        }
    }
}

impl From<yaml::StreamViewType> for StreamViewType {
    fn from(kind: yaml::StreamViewType) -> Self {
        match kind {
            yaml::StreamViewType::KeysOnly => StreamViewType::KeysOnly,
            yaml::StreamViewType::NewImage => StreamViewType::NewImage,
            yaml::StreamViewType::OldImage => StreamViewType::OldImage,
            yaml::StreamViewType::NewAndOldImages => StreamViewType::NewAndOldImages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table in one line: keys, attributes, billing, indexes, stream, TTL.
    fn summary(table: &Table) -> String {
        let keys = |keys: &[KeySchemaElement]| {
            keys.iter()
                .map(|key| format!("{} {}", key.attribute_name(), key.key_type().as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let projection = |projection: Option<&Projection>| {
            let projection = projection.expect("an index has a projection");
            let kind = projection.projection_type().map_or("-", |kind| kind.as_str());
            match projection.non_key_attributes() {
                [] => kind.to_owned(),
                attributes => format!("{kind} {}", attributes.join(" ")),
            }
        };
        let mut parts = vec![
            format!("key {}", keys(&table.key_schema)),
            format!(
                "attributes {}",
                table
                    .attribute_definitions
                    .iter()
                    .map(|a| format!("{} {}", a.attribute_name(), a.attribute_type().as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            table.billing_mode.as_str().to_owned(),
        ];
        for index in table.local_secondary_indexes.iter().flatten() {
            parts.push(format!(
                "local {} ({}) {}",
                index.index_name(),
                keys(index.key_schema()),
                projection(index.projection())
            ));
        }
        for index in table.global_secondary_indexes.iter().flatten() {
            parts.push(format!(
                "global {} ({}) {}",
                index.index_name(),
                keys(index.key_schema()),
                projection(index.projection())
            ));
        }
        if let Some(stream) = &table.stream_specification {
            let kind = stream.stream_view_type().map_or("-", |kind| kind.as_str());
            parts.push(format!("stream {} {kind}", if stream.stream_enabled() { "on" } else { "off" }));
        }
        if let Some(attribute) = &table.time_to_live {
            parts.push(format!("ttl {attribute}"));
        }
        parts.join("; ")
    }

    fn error_of<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
        result.expect_err("refused").to_string()
    }

    #[test]
    fn understands_every_table_of_the_template() {
        let template = Template::parse(TEMPLATE).expect("template.yaml's tables");
        let tables: Vec<(&str, String)> =
            template.tables.iter().map(|(id, table)| (id.as_str(), summary(table))).collect();
        assert_eq!(
            tables,
            [
                (
                    CATALOG,
                    "key pk HASH, sk RANGE; attributes pk S, sk S, by_name S, by_price S; PAY_PER_REQUEST; \
                     local by_name (pk HASH, by_name RANGE) ALL; local by_price (pk HASH, by_price RANGE) ALL; stream on KEYS_ONLY"
                ),
                (
                    EVENTS,
                    "key pk HASH, sk RANGE; attributes pk S, sk S; PAY_PER_REQUEST; stream on NEW_IMAGE; \
                     ttl expires_at"
                ),
                (
                    CONNECTIONS,
                    "key id HASH; attributes id S, shop_id S, support_user S, agents S; PAY_PER_REQUEST; \
                     global by_shop (shop_id HASH, id RANGE) INCLUDE token_expires_at; \
                     global by_user (support_user HASH, id RANGE) INCLUDE token_expires_at; \
                     global agents (agents HASH, id RANGE) INCLUDE token_expires_at user_id; ttl expires_at"
                ),
                (CLAIMS, "key claim HASH; attributes claim S; PAY_PER_REQUEST; ttl expires_at"),
                (BASKETS, "key pk HASH; attributes pk S; PAY_PER_REQUEST; ttl expires_at"),
                (PREFERENCES, "key user_id HASH; attributes user_id S; PAY_PER_REQUEST"),
                (PROFILES, "key user_id HASH; attributes user_id S; PAY_PER_REQUEST"),
                (DEVICES, "key user_id HASH; attributes user_id S; PAY_PER_REQUEST"),
                (
                    ORDERS,
                    "key id HASH; attributes id S, buyer_id S, shop_id S, kind S, sort_key S; PAY_PER_REQUEST; \
                     global by_buyer (buyer_id HASH, sort_key RANGE) ALL; \
                     global all_orders (kind HASH, sort_key RANGE) ALL; \
                     global by_shop (shop_id HASH, sort_key RANGE) ALL"
                ),
                (
                    REVIEWS_TABLE,
                    "key pk HASH, sk RANGE; attributes pk S, sk S, book_key S, newest_key S, highest_key S, \
                     lowest_key S, helpful_key S, queue S, queue_key S, reviewer_key S; PAY_PER_REQUEST; \
                     global newest (book_key HASH, newest_key RANGE) ALL; \
                     global highest (book_key HASH, highest_key RANGE) ALL; \
                     global lowest (book_key HASH, lowest_key RANGE) ALL; \
                     global helpful (book_key HASH, helpful_key RANGE) ALL; \
                     global reported (queue HASH, queue_key RANGE) ALL; \
                     global by_reviewer (reviewer_key HASH, newest_key RANGE) ALL; ttl expires_at"
                ),
                (
                    SUPPORT,
                    "key pk HASH, sk RANGE; attributes pk S, sk S, customer_id S, activity_key S, queue S, \
                     queue_key S, assigned_to S, online S, agent_id S; PAY_PER_REQUEST; \
                     global by_customer (customer_id HASH, activity_key RANGE) ALL; \
                     global queue (queue HASH, queue_key RANGE) ALL; \
                     global by_assignee (assigned_to HASH, activity_key RANGE) ALL; \
                     global online (online HASH, agent_id RANGE) KEYS_ONLY; ttl expires_at"
                ),
                (
                    FIGURES,
                    "key pk HASH, sk RANGE; attributes pk S, sk S, directory S, name_key S, email_key S; \
                     PAY_PER_REQUEST; global by_name (directory HASH, name_key RANGE) ALL; \
                     global by_email (directory HASH, email_key RANGE) ALL; ttl expires_at"
                ),
            ]
            .map(|(id, summary)| (id, summary.to_owned()))
        );
    }

    #[test]
    fn the_functions_are_told_about_every_table() {
        let variables: Vec<(String, String)> = Template::parse(TEMPLATE)
            .expect("template.yaml's tables")
            .variables
            .into_iter()
            .map(|variable| (variable.variable, variable.logical_id))
            .collect();
        let expected = [
            ("CATALOG_TABLE", CATALOG),
            ("EVENTS_TABLE", EVENTS),
            ("CONNECTIONS_TABLE", CONNECTIONS),
            ("CLAIMS_TABLE", CLAIMS),
            ("BASKETS_TABLE", BASKETS),
            ("ORDERS_TABLE", ORDERS),
            ("PREFERENCES_TABLE", PREFERENCES),
            ("PROFILES_TABLE", PROFILES),
            ("DEVICES_TABLE", DEVICES),
            ("REVIEWS_TABLE", REVIEWS_TABLE),
            ("SUPPORT_TABLE", SUPPORT),
            ("FIGURES_TABLE", FIGURES),
        ]
        .map(|(variable, id)| (variable.to_owned(), id.to_owned()));
        assert_eq!(variables, expected);
    }

    /// A small template of one table, `Reviews`, using what the real one does not.
    const REVIEWS: &str = "
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: { BucketName: !Sub \"reviews-${AWS::AccountId}\", Anything: [1, 2] }
  Reviews:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain
    Properties:
      TableName: !Sub \"bookworm-${Stage}-reviews\"
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }, { AttributeName: at, AttributeType: N }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
      GlobalSecondaryIndexes:
        - IndexName: by_time
          KeySchema: [{ AttributeName: at, KeyType: HASH }]
          Projection: { ProjectionType: INCLUDE, NonKeyAttributes: [stars, title] }
      StreamSpecification: { StreamViewType: NEW_AND_OLD_IMAGES }
      TimeToLiveSpecification: { AttributeName: expires_at, Enabled: false }
      SSESpecification: { SSEEnabled: true }
";

    /// `REVIEWS` with `extra` added after its first `after`.
    fn reviews_with(after: &str, extra: &str) -> Result<Template, Error> {
        let at = REVIEWS.find(after).expect("the text to amend") + after.len();
        Template::parse(&format!("{}{extra}{}", &REVIEWS[..at], &REVIEWS[at..]))
    }

    #[test]
    fn passes_on_projected_attributes_and_leaves_a_disabled_ttl_off() {
        let template = Template::parse(REVIEWS).expect("the reviews table");
        let table = template.table("Reviews").expect("the reviews table");
        assert_eq!(
            summary(table),
            "key id HASH; attributes id S, at N; PAY_PER_REQUEST; \
             global by_time (at HASH) INCLUDE stars title; stream on NEW_AND_OLD_IMAGES"
        );
        assert!(template.variables.is_empty());
    }

    #[test]
    fn refuses_a_table_property_it_does_not_handle() {
        let error = error_of(reviews_with("BillingMode: PAY_PER_REQUEST\n", "      TableClass: STANDARD\n"));
        assert!(
            error.starts_with("template.yaml: Reviews: Properties.TableClass: unknown field `TableClass`"),
            "{error}"
        );
    }

    #[test]
    fn refuses_an_index_property_it_does_not_handle() {
        let error = error_of(reviews_with(
            "- IndexName: by_time\n",
            "          WarmThroughput: { ReadUnitsPerSecond: 12000 }\n",
        ));
        assert!(
            error.contains(
                "Reviews: Properties.GlobalSecondaryIndexes[0].WarmThroughput: unknown field `WarmThroughput`"
            ),
            "{error}"
        );
    }

    #[test]
    fn refuses_a_resource_attribute_it_does_not_handle() {
        let error = error_of(reviews_with("DeletionPolicy: Retain\n", "    Condition: IsProduction\n"));
        assert!(error.contains("Reviews: Condition: unknown field `Condition`"), "{error}");
    }

    #[test]
    fn refuses_values_it_does_not_handle() {
        let provisioned = REVIEWS.replacen("BillingMode: PAY_PER_REQUEST", "BillingMode: PROVISIONED", 1);
        let error = error_of(Template::parse(&provisioned));
        assert!(error.contains("Reviews: Properties.BillingMode: unknown variant `PROVISIONED`"), "{error}");
        let missing = REVIEWS.replacen("BillingMode: PAY_PER_REQUEST", "", 1);
        let error = error_of(Template::parse(&missing));
        assert!(error.contains("Reviews: Properties: missing field `BillingMode`"), "{error}");
        let function = REVIEWS.replacen(
            "{ AttributeName: id, KeyType: HASH }",
            "{ AttributeName: !Ref Key, KeyType: HASH }",
            1,
        );
        let error = error_of(Template::parse(&function));
        assert!(error.contains("Reviews: Properties.KeySchema[0].AttributeName is `!Ref`"), "{error}");
    }

    #[test]
    fn names_a_table_the_template_lacks() {
        let template = Template::parse(TEMPLATE).expect("template.yaml's tables");
        let error = error_of(template.table("WishlistTable"));
        assert_eq!(error, "template.yaml: has no AWS::DynamoDB::Table named WishlistTable");
    }
}
