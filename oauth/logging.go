package oauth

import "context"

type requestIDKey struct{}

// WithRequestID returns a context that carries the id of the HTTP request
// being served, so that the warnings logged here name the request that
// caused them, as its request log line and X-Request-Id do.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// requestID returns the request id that ctx carries, or "".
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
