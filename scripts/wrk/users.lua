-- wrk script: each request as the next user of the TOKENS file (a token a line), round robin,
-- so that concurrent requests never write the same basket. METHOD, REQUEST_PATH and BODY say
-- what to send; every request carries an Idempotency-Key of its own (checkout requires one).
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
local method, path, body = os.getenv("METHOD"), os.getenv("REQUEST_PATH"), os.getenv("BODY")
local sent = 0
-- Keys unique to this run: a later run reusing "bench-1" for the same user would get the first
-- run's stored answer back (checkout's idempotency), not a new checkout.
local run = os.getenv("RUN_ID") or tostring(os.time())

request = function()
  sent = sent + 1
  local headers = {
    ["Authorization"] = "Bearer " .. tokens[((sent - 1) % #tokens) + 1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. run .. "-" .. sent,
  }
  return wrk.format(method, path, headers, body)
end
