//! M6: an attachment's file is whole under its name, or written again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use duly_core::sync::{CUT_OFF, CUT_OFF_ROUNDS, DAMAGED_HERE, SyncClient, upload_blobs};
use duly_protocol::Scope;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::fixture;

#[tokio::test]
async fn a_torn_attachment_file_is_written_again_by_the_next_write_of_its_content() {
    let f = fixture().await;
    let contents = "árajánlat 2026 ".repeat(500).into_bytes();
    let meta =
        f.store.keep_attachment(&contents, "ajanlat.txt", "text/plain", Scope::Team).await.expect("kept");
    let file = f.dir.path().join("duly.blobs").join(&meta.sha256);
    assert_eq!(std::fs::read(&file).expect("on disk"), contents);
    let leftovers = |dir: &std::path::Path| {
        std::fs::read_dir(dir).expect("dir").filter(|e| e.as_ref().expect("entry").path() != file).count()
    };
    assert_eq!(leftovers(file.parent().expect("dir")), 0, "no part file is left behind");

    // A power cut before the fix could leave the name with nothing in it.
    std::fs::write(&file, b"").expect("torn");
    f.store.keep_attachment(&contents, "ajanlat.txt", "text/plain", Scope::Team).await.expect("kept again");
    assert_eq!(std::fs::read(&file).expect("on disk"), contents, "the torn file is written again");

    // A file of the right length but other bytes is not taken for the content either.
    let mut damaged = contents.clone();
    damaged[0] ^= 0xff;
    std::fs::write(&file, &damaged).expect("damaged");
    f.store.keep_attachment(&contents, "ajanlat.txt", "text/plain", Scope::Team).await.expect("kept again");
    assert_eq!(f.store.attachment(&meta.sha256).await.expect("read"), Some(contents));
    assert_eq!(leftovers(file.parent().expect("dir")), 0);
}

#[tokio::test]
async fn a_damaged_copy_is_set_aside_without_asking_the_server_and_kept_again_it_goes_up_next_round() {
    let f = fixture().await;
    let contents = b"szerzodes tervezet".to_vec();
    let meta =
        f.store.keep_attachment(&contents, "szerzodes.txt", "text/plain", Scope::Team).await.expect("kept");
    let file = f.dir.path().join("duly.blobs").join(&meta.sha256);
    std::fs::write(&file, b"valami egeszen mas").expect("damaged");
    // Nothing listens there: the damaged copy is judged here, before any upload.
    let unreachable = SyncClient::new("http://127.0.0.1:9").expect("client");
    assert_eq!(upload_blobs(&f.store, &unreachable).await.expect("the round goes on"), 0);
    assert_eq!(f.store.refused_blob_count().await.expect("count"), 1);
    let refused = f.store.refused_blobs().await.expect("list");
    assert_eq!(
        (refused[0].sha256.as_str(), refused[0].reason.as_str()),
        (meta.sha256.as_str(), DAMAGED_HERE)
    );
    // Set aside: the next round does not look at it again.
    assert_eq!(upload_blobs(&f.store, &unreachable).await.expect("again"), 0);
    assert_eq!(f.store.refused_blob_count().await.expect("count"), 1);

    f.store.keep_attachment(&contents, "szerzodes.txt", "text/plain", Scope::Team).await.expect("kept again");
    assert_eq!(f.store.refused_blob_count().await.expect("count"), 0, "keeping it again lifts the refusal");
    assert_eq!(f.store.pending_blob_count().await.expect("count"), 1);
    let error = upload_blobs(&f.store, &unreachable).await.expect_err("now it is tried, and offline");
    assert_eq!(error.code(), duly_core::ErrorCode::Offline, "{error}");
}

/// A server that answers its health check but closes every other connection unanswered, as a
/// server over its blob limit may seem to a client still sending a large file. Counts uploads.
async fn server_cutting_uploads() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let uploads = Arc::new(AtomicUsize::new(0));
    let counted = uploads.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let (mut head, mut buf) = (Vec::new(), [0u8; 4096]);
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                if head.starts_with(b"GET /health ") {
                    let body = format!(r#"{{"status":"ok","protocol":{}}}"#, duly_protocol::PROTOCOL_VERSION);
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                         connection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                } else if head.starts_with(b"PUT /api/blobs/") {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    (url, uploads)
}

#[tokio::test]
async fn an_upload_the_server_keeps_breaking_off_skips_the_round_and_is_set_aside_after_a_few() {
    let f = fixture().await;
    let contents = "tervrajz ".repeat(1000).into_bytes();
    let meta = f
        .store
        .keep_attachment(&contents, "tervrajz.pdf", "application/pdf", Scope::Team)
        .await
        .expect("kept");
    let (url, uploads) = server_cutting_uploads().await;
    let client = SyncClient::new(&url).expect("client");
    for round in 1..=CUT_OFF_ROUNDS {
        // The server still answers: the round goes on without this file.
        assert_eq!(upload_blobs(&f.store, &client).await.expect("the round goes on"), 0);
        let expected = i64::from(round == CUT_OFF_ROUNDS);
        assert_eq!(f.store.refused_blob_count().await.expect("count"), expected, "round {round}");
    }
    let refused = f.store.refused_blobs().await.expect("list");
    assert_eq!((refused[0].sha256.as_str(), refused[0].reason.as_str()), (meta.sha256.as_str(), CUT_OFF));
    let tried = uploads.load(Ordering::SeqCst);
    assert_eq!(tried, usize::try_from(CUT_OFF_ROUNDS).expect("small"));
    assert_eq!(upload_blobs(&f.store, &client).await.expect("again"), 0);
    assert_eq!(uploads.load(Ordering::SeqCst), tried, "set aside: not tried again");

    // Kept again (say, after the admin raised the limit): tried again, with its count anew.
    f.store
        .keep_attachment(&contents, "tervrajz.pdf", "application/pdf", Scope::Team)
        .await
        .expect("kept again");
    assert_eq!(upload_blobs(&f.store, &client).await.expect("tried"), 0);
    assert_eq!(uploads.load(Ordering::SeqCst), tried + 1);
    assert_eq!(f.store.refused_blob_count().await.expect("count"), 0, "one break-off is not enough");
}
