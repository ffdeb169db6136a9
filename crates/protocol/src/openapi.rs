//! The rules the server holds requests to, as OpenAPI schemas built from the same constants the
//! checks use (utoipa's attributes take only literal numbers). Where JSON Schema cannot say a
//! rule exactly (it counts characters, the server counts UTF-8 bytes; a field that depends on
//! another), the schema says the part it can and the description says the rest.

use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, Object, ObjectBuilder, OneOf, OneOfBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Array, RefOr, Schema};

use crate::limits::{
    MAX_LOGIN_BYTES, MAX_PASSWORD_BYTES, MAX_USER_NAME_CHARS, MAX_VALUE_BYTES, MAX_VALUE_DEPTH,
    MIN_PASSWORD_CHARS,
};
use crate::{MAX_PUSH_OPS, PROTOCOL_VERSION};

/// White space as Rust's `char::is_whitespace` (Unicode White_Space) has it, which is what
/// `str::trim` takes off: spelled out, because `\s` means other sets in other regex dialects.
const WHITE: &str = r"\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

fn string(description: String) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).description(Some(description))
}

/// `LoginRequest.login`: refused before anything else when longer.
pub fn login_name() -> Object {
    string(format!(
        "At most {MAX_LOGIN_BYTES} bytes of UTF-8 (a non-ASCII character takes more than one): \
         a longer name is refused (400) before any other check. Compared trimmed and lowercased."
    ))
    .max_length(Some(MAX_LOGIN_BYTES))
    .build()
}

/// `LoginRequest.password`: any password up to the limit is checked (a wrong one is 401).
pub fn given_password() -> Object {
    string(format!("At most {MAX_PASSWORD_BYTES} bytes of UTF-8; a longer one is refused (400)."))
        .max_length(Some(MAX_PASSWORD_BYTES))
        .build()
}

/// `NewUser.login`: trimmed and lowercased, then 1 to `MAX_LOGIN_BYTES` bytes with no white
/// space (or NUL) inside.
pub fn new_login_name() -> Object {
    string(format!(
        "Kept trimmed and lowercased: then 1–{MAX_LOGIN_BYTES} bytes of UTF-8 (the pattern counts \
         characters) with no white space or NUL inside."
    ))
    .pattern(Some(format!("^[{WHITE}]*[^{WHITE}\\u0000]{{1,{MAX_LOGIN_BYTES}}}[{WHITE}]*$")))
    .build()
}

/// `NewUser.name`: trimmed, then 1 to `MAX_USER_NAME_CHARS` characters.
pub fn user_name() -> Object {
    let inner = MAX_USER_NAME_CHARS - 2;
    let text = format!("[^{WHITE}\\u0000]");
    string(format!("Kept trimmed: then 1–{MAX_USER_NAME_CHARS} characters, none of them NUL."))
        .pattern(Some(format!("^[{WHITE}]*{text}(?:[^\\u0000]{{0,{inner}}}{text})?[{WHITE}]*$")))
        .build()
}

/// A password an account is given (`NewUser`, `PasswordReset`).
pub fn new_password() -> Object {
    string(format!(
        "At least {MIN_PASSWORD_CHARS} characters and at most {MAX_PASSWORD_BYTES} bytes of UTF-8, \
         so that every password set here can log in; not among the commonest or easily guessed \
         (fewer than 10^6 guesses by zxcvbn, the login and name counted as known words), which \
         is refused as `weak_password`."
    ))
    .min_length(Some(MIN_PASSWORD_CHARS))
    .max_length(Some(MAX_PASSWORD_BYTES))
    .build()
}

/// `LoginRequest.colleague_id`: a UUID or null. Spelled as two alternatives because a type
/// list (`["string", "null"]`) leaves `format` to apply to neither in some validators.
pub fn optional_uuid() -> Schema {
    let one_of: OneOf = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String).format(Some(uuid())))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some("The device's profile colleague, offered for binding when the user has none yet."))
        .build();
    Schema::OneOf(one_of)
}

/// `OpId.client_seq` as an op carries it: positive.
pub fn client_seq() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .description(Some("The op's number on its client: 1 or more (an op with another is rejected)."))
        .build()
}

/// `OpResult.op_id`: the id as the push sent it, also when it was refused for its number.
pub fn sent_op_id() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("The op id as pushed (a refused op's too, whatever its client_seq)."))
        .property("client_id", ObjectBuilder::new().schema_type(Type::String).format(Some(uuid())))
        .property(
            "client_seq",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        )
        .required("client_id")
        .required("client_seq")
        .build()
}

fn uuid() -> SchemaFormat {
    SchemaFormat::KnownFormat(KnownFormat::Uuid)
}

/// `Operation.hlc`: uhlc's text form, `<time>/<writer id>`.
pub fn hlc() -> Object {
    string(
        "Hybrid logical clock stamp in uhlc's text form, the merge order of concurrent writes: \
         the time (an unsigned 64-bit integer, decimal), `/`, the writer's id (a non-zero 128-bit \
         integer, hex without leading zeros). An op whose stamp does not parse is rejected."
            .into(),
    )
    .pattern(Some("^[0-9]{1,20}/[1-9a-fA-F][0-9a-fA-F]{0,31}$"))
    .build()
}

/// `Operation.value`: any JSON within the protocol's limits.
pub fn op_value() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::AnyValue)
        .description(Some(format!(
            "Any JSON: a create's whole record (an object), a set's new field value, a delete's trash \
             batch id. At most {MAX_VALUE_DEPTH} levels of arrays and objects and {MAX_VALUE_BYTES} \
             bytes as JSON text; an op over either is rejected (invalid_operation)."
        )))
        .build()
}

/// `PushRequest.ops`: at most `MAX_PUSH_OPS`; a longer push is refused whole (413).
pub fn push_ops() -> Array {
    ArrayBuilder::new()
        .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Operation")))
        .max_items(Some(MAX_PUSH_OPS))
        .description(Some(format!(
            "At most {MAX_PUSH_OPS} operations (a longer push is refused whole, 413), each carrying \
             the pushing client's id (else 400). Each op is decided on its own: one that breaks a \
             rule of `Operation` is answered `rejected` in the results, not by the status."
        )))
        .build()
}

/// Which scope a pull or a blob is about. `customer` and `private` take a `scope_id`, `team`
/// and `settings` none; any other combination is refused (400).
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ScopeKind {
    Customer,
    Private,
    Team,
    Settings,
}

/// The `duly-protocol` header every endpoint reads.
pub fn protocol_header() -> Object {
    string(format!(
        "The protocol version the client speaks: {PROTOCOL_VERSION}. Any other value is refused (400, \
         unsupported_protocol); the sync endpoints also refuse a request without it."
    ))
    .enum_values(Some([PROTOCOL_VERSION.to_string()]))
    .build()
}

/// A blob's content.
pub fn bytes() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .into()
}
