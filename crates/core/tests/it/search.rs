//! C5: accents, ranking, highlights, filters, and the March question.

use chrono::{Duration, NaiveDate};
use duly_core::model::{
    CommentInput, CommentTarget, Contact, CustomerInput, CustomerKind, TaskInput, TaskStatus, WriteCtx,
};
use duly_core::search::{SearchKind, SearchQuery};

use crate::support::{budapest, fixture, fixture_at};

fn day(m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(2026, m, d)
}

#[tokio::test]
async fn search_ignores_accents_and_case_and_highlights_the_match() {
    let f = fixture().await;
    let mut input = CustomerInput::named("Szűcs Ablak Kft.", CustomerKind::Company);
    input.contacts =
        vec![Contact { name: "Fekete Ágnes".into(), role: "pénzügy".into(), ..Default::default() }];
    let customer = f.store.create_customer(f.ctx(), input).await.expect("customer");
    let mut task = TaskInput::new("Számla kiállítása", f.me.id);
    task.customer_id = Some(customer.id);
    let task = f.store.create_task(f.ctx(), task).await.expect("task");
    f.store
        .add_comment(
            f.ctx(),
            CommentInput::on(CommentTarget::Task(task.id), "Az ajánlatot átnézik és jeleznek."),
        )
        .await
        .expect("comment");

    for typed in ["ajanlat", "AJÁNLAT", "ajánl", "Ajanlatot"] {
        let hits = f
            .store
            .search(&f.viewer(), &SearchQuery { text: Some(typed.into()), ..Default::default() })
            .await
            .expect("search");
        assert_eq!(hits.len(), 1, "{typed}");
        assert_eq!(hits[0].kind, SearchKind::Comment);
        assert_eq!(hits[0].title, "Számla kiállítása");
        assert_eq!(hits[0].customer_name.as_deref(), Some("Szűcs Ablak Kft."));
        let marked: Vec<&str> = hits[0].snippet.iter().filter(|p| p.hit).map(|p| p.text.as_str()).collect();
        assert_eq!(marked, vec!["ajánlatot"], "{typed}");
    }
    let szamla = f
        .store
        .search(&f.viewer(), &SearchQuery { text: Some("szamla".into()), ..Default::default() })
        .await
        .expect("search");
    assert_eq!(szamla.iter().map(|h| h.kind).collect::<Vec<_>>(), vec![SearchKind::Task]);
    let contact = f
        .store
        .search(&f.viewer(), &SearchQuery { text: Some("agnes penzugy".into()), ..Default::default() })
        .await
        .expect("search");
    assert_eq!(contact.iter().map(|h| h.entity_id).collect::<Vec<_>>(), vec![customer.id]);
    let nothing = f
        .store
        .search(&f.viewer(), &SearchQuery { text: Some("ajanlat NEAR(\"x".into()), ..Default::default() })
        .await
        .expect("no syntax error");
    assert!(nothing.is_empty());
}

#[tokio::test]
async fn a_title_match_ranks_above_a_passing_mention() {
    let f = fixture().await;
    let passing = TaskInput {
        description: "majd egyszer a karbantartás is".into(),
        ..TaskInput::new("Visszahívás", f.me.id)
    };
    f.store.create_task(f.ctx(), passing).await.expect("task");
    f.store.create_task(f.ctx(), TaskInput::new("Karbantartás ütemezése", f.me.id)).await.expect("task");
    let hits = f
        .store
        .search(&f.viewer(), &SearchQuery { text: Some("karbantartas".into()), ..Default::default() })
        .await
        .expect("search");
    assert_eq!(
        hits.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(),
        vec!["Karbantartás ütemezése", "Visszahívás"]
    );
}

/// "Which customers got a comment with the keyword «Ajánlat elküldve» between 1 and 31 March?"
#[tokio::test]
async fn which_customers_got_an_offer_between_1_and_31_march() {
    let f = fixture_at(budapest(2026, 2, 20, 12, 0)).await;
    let keywords = f.store.keywords().await.expect("keywords");
    let offer = keywords.iter().find(|k| k.name == "Ajánlat elküldve").expect("default keyword").id;
    let other = keywords.iter().find(|k| k.name != "Ajánlat elküldve").expect("another keyword").id;
    let mut expected = Vec::new();
    // (customer, local time of the comment, keyword)
    let cases = [
        ("A March first, 00:10", budapest(2026, 3, 1, 0, 10), Some(offer), true),
        ("B mid March", budapest(2026, 3, 15, 9, 0), Some(offer), true),
        ("C March 31, 23:50", budapest(2026, 3, 31, 23, 50), Some(offer), true),
        ("D February 28, 23:50", budapest(2026, 2, 28, 23, 50), Some(offer), false),
        ("E April first, 00:10", budapest(2026, 4, 1, 0, 10), Some(offer), false),
        ("F March, other keyword", budapest(2026, 3, 10, 9, 0), Some(other), false),
        ("G March, no keyword", budapest(2026, 3, 10, 9, 0), None, false),
    ];
    for (name, at, keyword, wanted) in cases {
        f.clock.set(budapest(2026, 2, 20, 12, 0));
        let customer = f.customer(name).await;
        let mut task = TaskInput::new("Ajánlat küldése", f.me.id);
        task.customer_id = Some(customer.id);
        let task = f.store.create_task(f.ctx(), task).await.expect("task");
        f.clock.set(at);
        let mut comment = CommentInput::on(CommentTarget::Task(task.id), "Ajánlat elküldve e-mailben.");
        comment.keyword_ids = keyword.into_iter().collect();
        f.store.add_comment(f.ctx(), comment).await.expect("comment");
        if wanted {
            expected.push(name.to_owned());
        }
    }
    // A second offer to B in March counts B once.
    let b = f
        .store
        .list_customers(&Default::default())
        .await
        .expect("list")
        .into_iter()
        .find(|c| c.name.starts_with('B'))
        .expect("B");
    let mut again = CommentInput::on(CommentTarget::Customer(b.id), "Újabb ajánlat");
    again.keyword_ids = vec![offer];
    f.clock.set(budapest(2026, 3, 20, 9, 0));
    f.store.add_comment(f.ctx(), again).await.expect("comment");

    let query =
        SearchQuery { keyword_id: Some(offer), from: day(3, 1), to: day(3, 31), ..Default::default() };
    let found = f.store.search_customers(&f.viewer(), &query).await.expect("search");
    assert_eq!(found.iter().map(|m| m.name.clone()).collect::<Vec<_>>(), expected);
    assert_eq!(found.iter().find(|m| m.name.starts_with('B')).map(|m| m.hits), Some(2));
    // The same question with words typed in gives the same customers.
    let typed = SearchQuery { text: Some("ajanlat".into()), ..query.clone() };
    let found = f.store.search_customers(&f.viewer(), &typed).await.expect("search");
    assert_eq!(found.iter().map(|m| m.name.clone()).collect::<Vec<_>>(), expected);
    // And the hits themselves are only those comments.
    let hits = f.store.search(&f.viewer(), &query).await.expect("hits");
    assert_eq!(hits.len(), 4);
    assert!(hits.iter().all(|h| h.kind == SearchKind::Comment));
}

#[tokio::test]
async fn filters_by_responsible_task_status_and_customer_status() {
    let f = fixture().await;
    let gabor = f.colleague("Tóth Gábor").await;
    let statuses = f.store.customer_statuses().await.expect("statuses");
    let mut input = CustomerInput::named("Molnár Pékség Bt.", CustomerKind::Company);
    input.status_id = Some(statuses[2].id);
    let ordered = f.store.create_customer(f.ctx(), input).await.expect("customer");
    let plain = f.customer("Rácz Fuvar Kft.").await;
    for (customer, responsible) in [(ordered.id, f.me.id), (plain.id, gabor.id)] {
        let mut task = TaskInput::new("Szállítás egyeztetése", responsible);
        task.customer_id = Some(customer);
        f.store.create_task(WriteCtx::window(f.me.id), task).await.expect("task");
    }
    let base = SearchQuery { text: Some("szallitas".into()), ..Default::default() };
    let all = f.store.search(&f.viewer(), &base).await.expect("all");
    assert_eq!(all.len(), 2);
    let mine = f
        .store
        .search(&f.viewer(), &SearchQuery { responsible_id: Some(gabor.id), ..base.clone() })
        .await
        .expect("gabor");
    assert_eq!(mine.iter().map(|h| h.customer_id).collect::<Vec<_>>(), vec![Some(plain.id)]);
    let ordered_hits = f
        .store
        .search(&f.viewer(), &SearchQuery { customer_status_id: Some(statuses[2].id), ..base.clone() })
        .await
        .expect("status");
    assert_eq!(ordered_hits.iter().map(|h| h.customer_id).collect::<Vec<_>>(), vec![Some(ordered.id)]);
    let done = f
        .store
        .search(&f.viewer(), &SearchQuery { task_status: Some(TaskStatus::Done), ..base.clone() })
        .await
        .expect("done");
    assert!(done.is_empty());
    let tasks_only = f
        .store
        .search(&f.viewer(), &SearchQuery { kinds: vec![SearchKind::Customer], ..base })
        .await
        .expect("kinds");
    assert!(tasks_only.is_empty());
    let window = SearchQuery { from: Some(f.viewer().today() + Duration::days(1)), ..Default::default() };
    assert!(f.store.search(&f.viewer(), &window).await.expect("future").is_empty());
}

/// Writes only queue their search documents; an indexer writes them in batches, and a search
/// drains the queue first. (The fixture runs no background indexer, so the queue stays as the
/// writes left it until the test drains it.)
#[tokio::test]
async fn a_burst_of_writes_is_searchable_after_the_drain_and_the_trash_leaves_search() {
    let f = fixture().await;
    let mut ids = Vec::new();
    for index in 0..300 {
        let input = TaskInput::new(format!("Garanciális javítás #{index}"), f.me.id);
        ids.push(f.store.create_task(f.ctx(), input).await.expect("task").id);
    }
    assert_eq!(f.store.search_backlog().await.expect("backlog"), 300);
    assert_eq!(f.store.drain_search_queue().await.expect("drain"), 300);
    assert_eq!(f.store.search_backlog().await.expect("backlog"), 0);
    let query = SearchQuery { text: Some("garancialis".into()), limit: Some(500), ..Default::default() };
    let found = |hits: Vec<duly_core::search::SearchHit>| {
        let mut found: Vec<_> = hits.into_iter().map(|h| h.entity_id).collect();
        found.sort();
        found
    };
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(found(f.store.search(&f.viewer(), &query).await.expect("search")), expected);

    // An edit re-indexes the task: the old words leave with it, the new ones find it, and the
    // search that follows the edit needs no drain of its own.
    let renamed = f.store.task(ids[0]).await.expect("task");
    let input = TaskInput { title: "Szerviz kiszállás".into(), ..renamed.fields };
    f.store.update_task(f.ctx(), ids[0], input).await.expect("rename");
    let szerviz = SearchQuery { text: Some("szerviz".into()), ..Default::default() };
    let hits = f.store.search(&f.viewer(), &szerviz).await.expect("search");
    assert_eq!(hits.iter().map(|h| h.entity_id).collect::<Vec<_>>(), vec![ids[0]]);
    expected.retain(|id| *id != ids[0]);
    assert_eq!(found(f.store.search(&f.viewer(), &query).await.expect("search")), expected);

    // The trash takes a task out of search; restoring it brings it back.
    let batch = f.store.delete_task(f.ctx(), ids[1]).await.expect("trash");
    let without: Vec<_> = expected.iter().copied().filter(|id| *id != ids[1]).collect();
    assert_eq!(found(f.store.search(&f.viewer(), &query).await.expect("search")), without);
    let everything = SearchQuery { limit: Some(500), ..Default::default() };
    let listed = f.store.search(&f.viewer(), &everything).await.expect("list");
    assert!(listed.iter().all(|h| h.entity_id != ids[1]), "a trashed task is not listed either");
    f.store.restore(f.ctx(), batch).await.expect("restore");
    assert_eq!(found(f.store.search(&f.viewer(), &query).await.expect("search")), expected);
    assert_eq!(f.store.search_backlog().await.expect("backlog"), 0);
}
