package rpc

import (
	"context"
	"errors"
	"fmt"
	"reflect"
)

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// method is one callable registered method.
type method struct {
	name   string // "Namespace.Method"
	perm   Perm
	fn     reflect.Value  // the bound method of the implementation
	args   []reflect.Type // parameter types after the context
	result reflect.Type   // nil when the method returns only an error
	sub    bool           // result is a <-chan T: a WebSocket subscription
	// metrics are the method's series, when the server keeps metrics.
	metrics methodMetrics
}

// apiField describes one func field of a proxy struct.
type apiField struct {
	name string
	typ  reflect.Type
	perm Perm
}

// proxyFields checks that proxy is a pointer to a struct of func fields of
// the RPC shape (context first, error last, at most one other result) each
// tagged with a valid perm, and lists them.
func proxyFields(proxy any) ([]apiField, error) {
	pv := reflect.ValueOf(proxy)
	if pv.Kind() != reflect.Pointer || pv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("proxy must be a pointer to a struct of func fields, got %T", proxy)
	}
	st := pv.Elem().Type()
	var out []apiField
	for i := range st.NumField() {
		f := st.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Type.Kind() != reflect.Func {
			return nil, fmt.Errorf("%s.%s: field is %s, want a func", st.Name(), f.Name, f.Type)
		}
		if err := checkSignature(f.Type); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", st.Name(), f.Name, err)
		}
		perm := Perm(f.Tag.Get("perm"))
		if !perm.Valid() {
			return nil, fmt.Errorf("%s.%s: perm tag %q is not one of read, write, sign, admin", st.Name(), f.Name, perm)
		}
		out = append(out, apiField{name: f.Name, typ: f.Type, perm: perm})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("proxy %s has no exported func fields", st.Name())
	}
	return out, nil
}

func checkSignature(t reflect.Type) error {
	if t.IsVariadic() {
		return errors.New("variadic methods are not supported")
	}
	if t.NumIn() == 0 || t.In(0) != contextType {
		return errors.New("first parameter must be context.Context")
	}
	switch t.NumOut() {
	case 1, 2:
	default:
		return errors.New("must return (error) or (T, error)")
	}
	if t.Out(t.NumOut()-1) != errorType {
		return errors.New("last result must be error")
	}
	if t.NumOut() == 2 && t.Out(0).Kind() == reflect.Chan && t.Out(0).ChanDir() != reflect.RecvDir {
		return errors.New("a subscription must return a receive-only channel (<-chan T)")
	}
	for i := 1; i < t.NumIn(); i++ {
		if k := t.In(i).Kind(); k == reflect.Func || k == reflect.Chan || k == reflect.UnsafePointer {
			return fmt.Errorf("parameter %d of kind %s cannot travel as JSON", i, k)
		}
	}
	return nil
}

// bindMethods matches impl's methods to the proxy's fields. Every field must
// have a method of the identical signature; impl's other methods stay
// unreachable over RPC.
func bindMethods(namespace string, impl, proxy any) ([]*method, error) {
	fields, err := proxyFields(proxy)
	if err != nil {
		return nil, err
	}
	iv := reflect.ValueOf(impl)
	if !iv.IsValid() {
		return nil, errors.New("implementation is nil")
	}
	out := make([]*method, 0, len(fields))
	for _, f := range fields {
		m := iv.MethodByName(f.name)
		if !m.IsValid() {
			return nil, fmt.Errorf("%T has no method %s", impl, f.name)
		}
		if m.Type() != f.typ {
			return nil, fmt.Errorf("%T.%s has signature %s, the API declares %s", impl, f.name, m.Type(), f.typ)
		}
		md := &method{name: namespace + "." + f.name, perm: f.perm, fn: m}
		for i := 1; i < f.typ.NumIn(); i++ {
			md.args = append(md.args, f.typ.In(i))
		}
		if f.typ.NumOut() == 2 {
			md.result = f.typ.Out(0)
			md.sub = md.result.Kind() == reflect.Chan
		}
		out = append(out, md)
	}
	return out, nil
}
