package certcentral

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
)

// getObject GETs a single JSON object into v. A field of the wrong JSON type is recorded
// through problemNoter, like list items, instead of failing the call.
func (c *Client) getObject(ctx context.Context, endpoint string, query url.Values, v any) error {
	return c.get(ctx, endpoint, query, func(r io.Reader) error {
		dec := json.NewDecoder(r)
		err := dec.Decode(v)
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			if pn, ok := v.(problemNoter); ok {
				pn.noteProblem(typeErr.Field)
				return nil
			}
		}
		return err
	})
}
