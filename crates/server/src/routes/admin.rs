//! Users and sharing, for admins and managers (C6, P3).

use axum::extract::State;
use axum::http::StatusCode;
use duly_protocol::{
    ColleagueBinding, CustomerShares, ErrorBody, GrantRequest, NewUser, PasswordReset, Role, User,
};
use uuid::Uuid;

use crate::auth::{self, Authed, Manager};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    responses((status = 200, body = Vec<User>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list_users(State(state): State<AppState>, _manager: Manager) -> ApiResult<ApiJson<Vec<User>>> {
    Ok(ApiJson(state.storage.users().await?))
}

#[utoipa::path(post, path = "/api/admin/users", tag = "admin", request_body = NewUser,
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "not a manager, or a manager creating an admin", body = ErrorBody),
        (status = 409, description = "the login name is taken", body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn add_user(
    State(state): State<AppState>,
    Manager(by): Manager,
    ApiJson(new): ApiJson<NewUser>,
) -> ApiResult<ApiJson<User>> {
    if new.role == Role::Admin && by.user.role != Role::Admin {
        return Err(ApiError::forbidden("only an admin may create an admin"));
    }
    let user = create_user(&state, new).await?;
    Ok(ApiJson(user))
}

/// Shared by the endpoint and the `duly-server user add` command.
pub async fn create_user(state: &AppState, new: NewUser) -> ApiResult<User> {
    let login = new.login.trim().to_lowercase();
    // The same bound login checks first, in bytes, so every account made here can log in.
    let max = duly_protocol::limits::MAX_LOGIN_BYTES;
    // No NUL either: PostgreSQL cannot store one, and both backends answer alike.
    if login.is_empty() || login.len() > max || login.chars().any(|c| c.is_whitespace() || c == '\0') {
        return Err(ApiError::bad_request(format!("a login name is 1–{max} bytes without spaces or NUL")));
    }
    let name = new.name.trim();
    let longest = duly_protocol::limits::MAX_USER_NAME_CHARS;
    if name.is_empty() || name.chars().count() > longest || name.contains('\0') {
        return Err(ApiError::bad_request(format!("a name is 1–{longest} characters without NUL")));
    }
    auth::check_password_rules(&new.password, &[&login, name])?;
    let hash = auth::hash_password(new.password).await.map_err(ApiError::internal)?;
    let user = User {
        id: Uuid::now_v7(),
        login,
        name: name.to_owned(),
        role: new.role,
        active: true,
        colleague_id: None,
    };
    state.storage.add_user(&user, &hash).await?;
    Ok(user)
}

/// Managers manage members and guests; an admin or another manager is the admins' to disable
/// or give a new password (L9), so no manager can take over another.
fn may_change(by: &Authed, user: &User) -> ApiResult<()> {
    if by.user.role != Role::Admin && user.role.manages() && by.user.id != user.id {
        return Err(ApiError::forbidden("only an admin may change an admin or a manager"));
    }
    Ok(())
}

async fn target(state: &AppState, id: Uuid) -> ApiResult<User> {
    state.storage.user(id).await?.ok_or_else(|| ApiError::not_found("user"))
}

/// Disabling ends the user's sessions at once.
#[utoipa::path(post, path = "/api/admin/users/{id}/disable", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn disable_user(
    State(state): State<AppState>,
    Manager(by): Manager,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<User>> {
    set_active(&state, &by, id, false).await
}

#[utoipa::path(post, path = "/api/admin/users/{id}/enable", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn enable_user(
    State(state): State<AppState>,
    Manager(by): Manager,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<User>> {
    set_active(&state, &by, id, true).await
}

async fn set_active(state: &AppState, by: &Authed, id: Uuid, active: bool) -> ApiResult<ApiJson<User>> {
    let user = target(state, id).await?;
    may_change(by, &user)?;
    state.storage.set_active(id, active).await?;
    if !active {
        let _ = state.ended.send(crate::state::Ended::User(id));
    }
    Ok(ApiJson(target(state, id).await?))
}

/// Sets a new password; the user's sessions end.
#[utoipa::path(post, path = "/api/admin/users/{id}/password", tag = "admin", params(("id" = Uuid, Path)), request_body = PasswordReset,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Manager(by): Manager,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(reset): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    let user = target(&state, id).await?;
    may_change(&by, &user)?;
    auth::check_password_rules(&reset.password, &[&user.login, &user.name])?;
    let hash = auth::hash_password(reset.password).await.map_err(ApiError::internal)?;
    state.storage.set_password(id, &hash).await?;
    let _ = state.ended.send(crate::state::Ended::User(id));
    Ok(StatusCode::NO_CONTENT)
}

/// H1: an admin binds a user to a colleague record someone else created (or unbinds one bound
/// by mistake). Login binds only a record the same user created first.
#[utoipa::path(put, path = "/api/admin/users/{id}/colleague", tag = "admin", params(("id" = Uuid, Path)),
    request_body = ColleagueBinding,
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
pub async fn bind_colleague(
    State(state): State<AppState>,
    Manager(by): Manager,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(binding): ApiJson<ColleagueBinding>,
) -> ApiResult<ApiJson<User>> {
    if by.user.role != Role::Admin {
        return Err(ApiError::forbidden("only an admin says which colleague a user is"));
    }
    target(&state, id).await?;
    if !state.storage.set_colleague(id, binding.colleague_id).await? {
        return Err(ApiError::not_found("colleague"));
    }
    // Every request reads the user afresh: what they push from now on is in that name.
    Ok(ApiJson(target(&state, id).await?))
}

/// C6: shares customers (many at once) with one user.
#[utoipa::path(post, path = "/api/admin/grants", tag = "admin", request_body = GrantRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn grant(
    State(state): State<AppState>,
    _manager: Manager,
    ApiJson(request): ApiJson<GrantRequest>,
) -> ApiResult<StatusCode> {
    target(&state, request.user_id).await?;
    // Only customers the server has: a grant of an unknown id would open a scope nobody
    // created. One query for the whole list (L10).
    let known = state.storage.known_customers(&request.customer_ids).await?;
    if request.customer_ids.iter().any(|customer| !known.contains(customer)) {
        return Err(ApiError::not_found("customer"));
    }
    state.storage.grant(request.user_id, &request.customer_ids).await?;
    let latest_seq = state.storage.latest_seq().await?;
    let audience = crate::state::Audience::User(request.user_id);
    let _ = state.pokes.send(crate::state::Poked { latest_seq, audience });
    Ok(StatusCode::NO_CONTENT)
}

/// Takes customers back; the user's devices purge them at their next pull.
#[utoipa::path(post, path = "/api/admin/revokes", tag = "admin", request_body = GrantRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    _manager: Manager,
    ApiJson(request): ApiJson<GrantRequest>,
) -> ApiResult<StatusCode> {
    target(&state, request.user_id).await?;
    state.storage.revoke(request.user_id, &request.customer_ids).await?;
    let latest_seq = state.storage.latest_seq().await?;
    let audience = crate::state::Audience::User(request.user_id);
    let _ = state.pokes.send(crate::state::Poked { latest_seq, audience });
    Ok(StatusCode::NO_CONTENT)
}

/// Who a customer is shared with; any user who can see the customer may ask.
#[utoipa::path(get, path = "/api/customers/{id}/shares", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = CustomerShares), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn customer_shares(
    State(state): State<AppState>,
    authed: Authed,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<CustomerShares>> {
    let visible = authed.user.role.manages() || state.storage.grants_of(authed.user.id).await?.contains(&id);
    if !visible || state.storage.entity_scope(id).await? != Some(duly_protocol::Scope::Customer(id)) {
        return Err(ApiError::not_found("customer"));
    }
    let mut users = state.storage.shares_of(id).await?;
    if authed.user.role == Role::Guest {
        // Least disclosure: a guest sees who else works on the customer by name, not their
        // login names or colleague ids.
        for user in &mut users {
            user.login.clear();
            user.colleague_id = None;
        }
    }
    Ok(ApiJson(CustomerShares { customer_id: id, users }))
}
