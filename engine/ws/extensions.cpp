#include "ws/extensions.h"

#include "ws/http_tokens.h"

namespace viper::ws {

namespace detail {

namespace {

bool blank(char c) {
  return c == ' ' || c == '\t';
}

size_t skip_blanks(std::string_view v, size_t i) {
  while (i < v.size() && blank(v[i]))
    i++;
  return i;
}

size_t token_end(std::string_view v, size_t i) {
  while (i < v.size() && is_tchar(v[i]))
    i++;
  return i;
}

// After a syntax error: the position after the next comma outside a quoted string.
size_t resync(std::string_view v, size_t i) {
  bool quoted = false;
  for (; i < v.size(); i++) {
    char c = v[i];
    if (quoted) {
      if (c == '\\')
        i++;
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      return i + 1;
    }
  }
  return v.size();
}

}  // namespace

size_t parse_extension_offer(std::string_view v, ExtensionOffer* out) {
  *out = ExtensionOffer{};
  // A malformed offer keeps its name (for logs) but no parameters.
  auto bad = [&](size_t at) {
    out->num_params = 0;
    return resync(v, at);
  };
  size_t i = skip_blanks(v, 0);
  if (i == v.size() || v[i] == ',') {  // an empty list element
    out->valid = true;
    return i == v.size() ? i : i + 1;
  }
  size_t e = token_end(v, i);
  if (e == i) return bad(i);
  out->name = v.substr(i, e - i);
  i = skip_blanks(v, e);
  while (true) {
    if (i == v.size()) {
      out->valid = true;
      return i;
    }
    if (v[i] == ',') {
      out->valid = true;
      return i + 1;
    }
    if (v[i] != ';') return bad(i);
    i = skip_blanks(v, i + 1);
    e = token_end(v, i);
    if (e == i) return bad(i);
    ExtensionOffer::Param param;
    param.name = v.substr(i, e - i);
    i = skip_blanks(v, e);
    if (i < v.size() && v[i] == '=') {
      i = skip_blanks(v, i + 1);
      if (i < v.size() && v[i] == '"') {
        size_t start = ++i;
        while (i < v.size() && v[i] != '"') {
          if (v[i] == '\\') {
            param.value_escaped = true;
            i++;
          }
          i++;
        }
        if (i >= v.size()) return bad(i);  // unterminated: nothing after it can be read
        param.value = v.substr(start, i - start);
        i++;
      } else {
        e = token_end(v, i);
        if (e == i) return bad(i);
        param.value = v.substr(i, e - i);
        i = e;
      }
      i = skip_blanks(v, i);
    }
    if (out->num_params == ExtensionOffer::kMaxParams) return bad(i);
    out->params[out->num_params++] = param;
  }
}

}  // namespace detail

namespace {

// "8".."15", no sign, no leading zero (RFC 7692 §7.1.2): the number, or -1.
int window_bits(std::string_view v) {
  if (v.size() == 1 && v[0] == '8') return 8;
  if (v.size() == 1 && v[0] == '9') return 9;
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
  return -1;
}

}  // namespace

PmdParams accept_pmd_offer(const ExtensionOffer& offer, const PmdConfig& config) {
  PmdParams declined;
  if (!config.enabled || !offer.valid || !http::ascii_iequal(offer.name, "permessage-deflate"))
    return declined;
  bool snct = false, cnct = false;
  int smwb = -1;  // -1 absent, else the value
  int cmwb = -1;  // -1 absent, 0 present without a value, else the value
  for (size_t i = 0; i < offer.num_params; i++) {
    const ExtensionOffer::Param& p = offer.params[i];
    bool has_value = p.value.data() != nullptr;
    if (p.value_escaped) return declined;
    if (http::ascii_iequal(p.name, "server_no_context_takeover")) {
      if (snct || has_value) return declined;
      snct = true;
    } else if (http::ascii_iequal(p.name, "client_no_context_takeover")) {
      if (cnct || has_value) return declined;
      cnct = true;
    } else if (http::ascii_iequal(p.name, "server_max_window_bits")) {
      if (smwb != -1 || !has_value) return declined;
      smwb = window_bits(p.value);
      if (smwb < 0) return declined;
    } else if (http::ascii_iequal(p.name, "client_max_window_bits")) {
      if (cmwb != -1) return declined;
      cmwb = has_value ? window_bits(p.value) : 0;
      if (cmwb < 0) return declined;
    } else {
      return declined;  // an unknown parameter (RFC 7692 §5.1)
    }
  }
  uint8_t max_server = config.server_max_window_bits, max_client = config.client_max_window_bits;
  if (max_server < 9 || max_server > 15 || max_client < 8 || max_client > 15) return declined;
  // Without client_max_window_bits the client may use a 32 KB window, which a smaller
  // configured inflate window could not follow.
  if (cmwb == -1 && max_client < 15) return declined;

  PmdParams r;
  r.enabled = true;
  r.server_no_context_takeover = snct || config.server_no_context_takeover;
  // The client's hint is echoed: it then must not use its history, so neither need we.
  r.client_no_context_takeover = cnct || config.client_no_context_takeover;
  if (smwb != -1) {
    r.server_window_bits = uint8_t(smwb == 8 ? 8 : (smwb < max_server ? smwb : max_server));
    r.reply_server_window = true;
  } else {
    r.server_window_bits = max_server;  // a smaller window than the client's 32 KB: no need to say
  }
  if (cmwb != -1) {
    int offered = cmwb == 0 ? 15 : cmwb;
    r.client_window_bits = uint8_t(offered < max_client ? offered : max_client);
    r.reply_client_window = true;
  } else {
    r.client_window_bits = 15;
  }
  return r;
}

PmdParams negotiate_permessage_deflate(std::span<const http::Header> headers,
                                       const PmdConfig& config) {
  PmdParams result;
  if (!config.enabled) return result;
  for_each_extension_offer(headers, [&](const ExtensionOffer& offer) {
    if (!offer.valid || !http::ascii_iequal(offer.name, "permessage-deflate")) return true;
    result = accept_pmd_offer(offer, config);
    return !result.enabled;  // the first acceptable offer wins
  });
  return result;
}

size_t write_pmd_response(const PmdParams& p, char* out, size_t cap) {
  if (!p.enabled) return 0;
  http::Appender a(out, cap);
  a.put("permessage-deflate");
  if (p.server_no_context_takeover) a.put("; server_no_context_takeover");
  if (p.client_no_context_takeover) a.put("; client_no_context_takeover");
  if (p.reply_server_window) {
    a.put("; server_max_window_bits=");
    a.put_uint(p.server_window_bits);
  }
  if (p.reply_client_window) {
    a.put("; client_max_window_bits=");
    a.put_uint(p.client_window_bits);
  }
  return a.ok() ? a.size() : 0;
}

}  // namespace viper::ws
