//! The API served in-process: components that run inside `berth server` (scheduler,
//! controllers) call the same router kubectl reaches, as a `tower::Service`, without TLS or
//! sockets. Requests carry a fixed, already-authenticated [`User`].

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use bytes::Bytes;

use crate::authn::{PeerIdentity, User};

/// A `tower::Service` answering HTTP requests with the API server's router, as `user`.
#[derive(Clone)]
pub struct LocalService {
    router: Router,
    user: User,
}

impl LocalService {
    pub(crate) fn new(router: Router, user: User) -> LocalService {
        LocalService { router, user }
    }
}

impl<B> tower::Service<Request<B>> for LocalService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = <Router as tower::Service<Request<B>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        <Router as tower::Service<Request<B>>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        request
            .extensions_mut()
            .insert(PeerIdentity(Some(self.user.clone())));
        self.router.call(request)
    }
}
