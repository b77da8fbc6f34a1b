-- Asynchronous signature requests (CSC v2 §11.10 operationMode "A", §11.12 signatures/signPolling; rssp/jobs/).
-- A row is a job from the request that created it until its result is polled or its validity_period ends; every
-- api instance takes jobs from here (FOR UPDATE SKIP LOCKED), so nothing of a job lives in a process.
CREATE TABLE rssp.jobs (
  -- The responseID: 32 random bytes, base64url; never derived from anything a client can guess.
  id               text        PRIMARY KEY,
  -- Who may poll it: the user and the client of the request (a login session's client is login:<family>).
  user_id          text        NOT NULL,
  client_id        text        NOT NULL,
  -- The queue of the deployment that made it (ASYNC_QUEUE): only instances serving this queue take it.
  queue            text        NOT NULL,
  -- What performs it: a key of JOB_KINDS (rssp/jobs/kinds.ts), e.g. signatures/signHash.
  kind             text        NOT NULL,
  -- The request, as the kind needs it to perform the job; emptied once the job ran.
  input            jsonb       NOT NULL,
  -- The SAD that authorizes it; cleared once the job ran (it is a bearer secret).
  sad              text,
  -- Who asked (request id, address, user agent), for the SAM's audit rows.
  request          jsonb       NOT NULL,
  state            text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
  -- done: the response body of the method; failed: { status, error, error_description }.
  result           jsonb,
  attempts         integer     NOT NULL DEFAULT 0,
  -- The claim of the instance running it; a running job whose lease passed is taken again.
  claim            text,
  lease_until      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  -- created_at + validity_period: past it the job and its result are gone.
  expires_at       timestamptz NOT NULL,
  -- Delivery of the result to response_uri (NULL: none asked).
  response_uri     text,
  delivery_state   text        CHECK (delivery_state IN ('pending', 'delivered', 'abandoned')),
  delivery_attempts integer    NOT NULL DEFAULT 0,
  delivery_next_at timestamptz,
  delivery_lease_until timestamptz,
  CHECK ((state IN ('done', 'failed')) = (result IS NOT NULL))
);

CREATE INDEX jobs_takeable_idx ON rssp.jobs (queue, created_at) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_delivery_idx ON rssp.jobs (queue, delivery_next_at) WHERE delivery_state = 'pending';
CREATE INDEX jobs_expires_idx ON rssp.jobs (expires_at);
