package httpapi

// How a handler is written, one way for each thing:
//
//   - Paging: the request's page and size become page.New(req.Params.Page, req.Params.Size);
//     the service answers a page.Page (internal/page holds every paging rule).
//   - Answers: a success is success[api.<Op>200JSONResponse](data), successEmpty[...]() or
//     successPage[...](p, apiX) (envelope.go); no handler writes an envelope by hand.
//   - Mappers: apiX converts a service value to gen/api's type X, named after that type
//     (apiMessage → api.Message, apiRnDeployment → api.RnDeployment, apiAdminImUser →
//     api.AdminImUser); one that needs the server or the request's context is a *Server method
//     of the same name (s.apiAppVersion). The other way, xOf converts a request value to the
//     service's type x (importOf → account.Import, uploadOf → update.Upload).
//   - A body the gate lets through missing (it validates first): needBody(req.Body).
//   - Errors: a handler returns the service's error; writeError (envelope.go) is the one place
//     that turns it into a response.
