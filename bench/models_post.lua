-- wrk script of bench/run.sh models: every request POSTs bench/apps/models_body.json.
local f = assert(io.open(os.getenv("MODELS_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
