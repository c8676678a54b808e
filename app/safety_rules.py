"""The patterns of the safety check (``app.safety``), over normalised text (lower case, no
accents, no apostrophes). One pattern a line; each says what it catches in its name.

Emergency rules carry ``always``: True when the words alone mean an emergency even in a
question-like message ("I think I'm having a heart attack"); False when they need someone
described now, not a general, past or long-standing matter ("what are the signs of a stroke?").
"""

# fmt: off
EMERGENCY = [
    ("cardiac", r"\b(chest|chset)\b.{0,25}\b(pain|pres+ure|tight|tightness|hurt\w*|heavy|crushing|squeez\w*)\b", False),
    ("cardiac", r"\b(pain|pres+ure|tight\w*|hurt\w*|ache|aching|heav\w*|crushing|squeez\w*|discomfort|weight)\b.{0,15}\b(in|on|across|of)? ?(the |my |his |her )?(chest|chset)\b", False),
    ("cardiac", r"\b(crushing|squeezing|heavy) (chest|pressure)\b|\belephant\b.{0,20}\bchest\b|\b(crushing|tearing|ripping|squeezing)\b.{0,20}\bpain\b", False),
    ("cardiac", r"\bpain\b.{0,30}\b(radiat\w*|spread\w*|going|shoot\w*|goes)\b.{0,15}\b(arm|jaw|neck|back)\b|\b(breastbone|sternum)\b.{0,30}\b(pain|pressure|tight\w*)\b", False),
    ("cardiac", r"\b(defib\w*|icd|pacemaker)\b.{0,30}\b(shock\w*|fired|went off)\b|\b(no|cant (feel|find) a|cannot (feel|find) a) pulse\b|\bheart attack\b.{0,30}\b(now|again|same|think|having|right)\b|\bhaving a heart attack\b|\bnitro\w*\b.{0,20}\b(didnt|did not|not|isnt)\b", True),
    ("stroke", r"\b(face|mouth|smile)\b.{0,25}\b(droop\w*|crooked|lopsided|dropp?ed|uneven|numb\w*|not moving|isnt moving|sagging|twisted|slant\w*|fell)\b", False),
    ("stroke", r"\b(slurr\w*|garbled|jumbled|gibberish)\b|\bcant (find|get) (my|his|her|the|any) words\b|\bwords\b.{0,30}\b(wrong|jumbled|garbled|mixed up|stopped making sense|not making sense)\b", False),
    ("stroke", r"\b(speech|speak\w*|talk\w*|voice|sounds?)\b.{0,30}\b(drunk|mixed up|all wrong|slurr\w*|nonsense)\b|\b(cant|cannot|couldnt|unable to) (speak|talk|get (any )?words out|say (my|his|her|a))\b", False),
    ("stroke", r"\b(one side|right side|left side|side of (his|her|my) (body|face))\b.{0,40}\b(weak|numb|limp|dropp?ed|droop\w*|paraly\w*|not moving|cant move|went)\b", False),
    ("stroke", r"\b(arm|leg|hand)s?\b.{0,25}\b(numb|weak|limp|dead|heavy)\b.{0,40}\b(sudden\w*|all of a sudden|just|now|started|cant)\b|\b(sudden\w*|all of a sudden)\b.{0,40}\b(numb|weak|confus\w*|cant (see|speak|talk|walk|understand)|vision|headache|dizzy)\w*", False),
    ("stroke", r"\b(arm|hand|leg|foot)\b.{0,20}\b(floppy|dragging|not working|wont work|went dead)\b|\bdragging (his|her|my) (foot|leg)\b|\bhaving a stroke\b|\bleaning to one side\b|\bcant (lift|raise) (his|her|my) (arm|hand|leg)\b|\b(mini stroke|tia)\b.{0,40}\b(again|back|now)\b", False),
    ("breathing", r"\b(cant|cannot|can not|unable to|struggling to|barely|not)\b.{0,10}\bbreath\w*|\b(gasp\w*|choking|chocking|wheezing so|grunting)\b|\bturning (blue|purple|grey|gray)\b|\b(lips?|face|fingers?)\b.{0,20}\b(blue|purple|grey|gray|bluish)\b", False),
    ("breathing", r"\bcant catch (his|her|my|their) breath\b.{0,60}\b(drowsy|confus\w*|blue|at all|worse)\b|\bcant finish a sentence\b|\bneck muscles\b|\bpink frothy\b|\b(drown\w*|under water)\b|\bfew words\b.{0,30}\b(gasp|breath)|\bstopped breathing\b|\bblue\b.{0,20}\b(mouth|lips|face|round)\b|\bchoked\b|\bcant swallow\b|\bsucks? in\b|\bfloppy\b", False),
    ("breathing", r"\bbreath\w*\b.{0,20}\b(weird|funny|strange|noisy|squeak\w*|really fast|so fast|deep and fast|shallow|stopped|rattl\w*)\b|\b(oxygen|o2|sats?|spo2|pulse ox)\b.{0,20}\b([4-8]\d)\b|\bstuck in (my|his|her|the|their) (throat|windpipe)\b", False),
    ("breathing", r"\b(asthma|ventolin|inhaler|albuterol|puffer|nebuli[sz]er)\b.{0,60}\b(not helping|isnt helping|didnt help|not working|isnt working|cant talk|cant speak|blue|\d+ (puffs|times))\b", False),
    ("anaphylaxis", r"\b(throat|tongue|lips?|face)\b.{0,20}\b(clos\w*|swell\w*|swel\w*|swollen|tight\w*|thick|huge|blew up)\b|\banaphyla\w*|\b(throat|mouth)\b.{0,20}\bitch\w*", False),
    ("anaphylaxis", r"\b(doesnt have|dont have|forgot|left|no|without) (his|her|my|their|an?) epi ?pen\b|\bepi ?pen\b.{0,40}\b(doesnt have|dont have|forgot|used|gave|jabbed|didnt (help|work)|not working|out of|expired|ago|coming back|still)\b|\b(gave|used) (her|him|my|the) epi", False),
    ("anaphylaxis", r"\b(hives|allergic reaction|after (eating|taking))\b.{0,60}\b(hoarse|cough\w*|vomit\w*|pale|dizzy|faint\w*|wheez\w*|swallow|throat|swell\w*|breath\w*)\b|\b(sting|stung|bee|wasp|peanuts?|nuts|shellfish|sesame)\b.{0,50}\b(wheez\w*|throat|swell\w*|dizzy|faint\w*|cant breath\w*|hives)\b", False),
    ("anaphylaxis", r"\b(allerg\w*|alergic)\b.{0,40}\b(ate|eating|stung|sting|exposed|by mistake)\b.{0,60}\b(hoarse|vomit\w*|dizzy|faint\w*|wheez\w*|swell\w*|puffy|throat|breath\w*|hives)\b", False),
    ("bleeding", r"\b(bleed\w*|blood)\b.{0,30}\b(a ?lot|heav\w*|everywhere|wont stop|will not stop|not stopping|isnt stopping|doesnt stop|nonstop|faint\w*|tons|lots)\b|\b(tons|lots|pools?) of blood\b|\bblood all over\b", False),
    ("bleeding", r"\b(bleed\w*|blood|gash|cut|wound)\b.{0,60}\b(soak\w*|spurt\w*|pour\w*|gush\w*)\b|\bpouring blood\b", True),
    ("bleeding", r"\b(cough\w*|vomit\w*|throwing|throw) up blood\b|\bvomiting blood\b|\bcoffee grounds?\b|\b(wont|will not|doesnt|cant|not) stop\w* bleeding\b|\bbleeding through\b|\bsoaking\b.{0,20}\b(pad|towel|bandage|through)\w*\b", False),
    ("bleeding", r"\b(stabbed|gunshot|been shot|got shot|was shot|shot (in|him|her|me))\b|\bamputat\w*|\bchainsaw\b|\b(cut|hit|nicked|severed) (an |the )?artery\b|\bits an artery\b|\b(filling|fills) (a|my|his|her) (cup|mouth)\b", False),
    ("poisoning", r"\b(took|taken|swallowed|ate|had|downed|popped)\b.{0,15}\b(\d+(?! (years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?|times?)\b)|a (whole|full|entire) (bottle|strip|pack|box|jar)|(the|a) (whole|entire) (bottle|box|pack)|all (of )?(my|his|her|the|their))\b( of)?( (my|his|her|their|the))?( [\w-]+){0,3} (pills?|tablets?|tabs|capsules?|caps|mg|meds|medicine|tylenol|advil|ibuprofen|aspirin|sleeping|xanax|oxy\w*|percocet|benadryl|insulin|vitamins?|gummies)\b", True),
    ("poisoning", r"\boverdos\w*|\btoo many\b.{0,20}\b(pills?|tablets?|of (his|her|my))\b|\bby (mistake|accident)\b.{0,40}\b(pills?|tablets?|meds|medicine|took|drank|swallowed)\b|\b(pills?|meds|tablets?)\b.{0,40}\bby (mistake|accident)\b", False),
    ("poisoning", r"\b(took|ate|swallowed|drank|had|popped|taken)\b.{0,10}\b\d+\b.{0,5}\b(of (my|his|her|their|the))\b|\btook\b.{0,30}\b(whole|entire|all)\b.{0,30}\b(pills?|week|bottle|pack|meds|tablets?)\b", True),
    ("poisoning", r"\b(accidentally|by accident|by mistake|instead of)\b.{0,60}\b(took|take|pills?|meds|drank|ate|swallowed)\b|\b(took|take)\b.{0,60}\b(by mistake|by accident|twice|double)\b.{0,40}\b(now|dizzy|vomit\w*|confus\w*|shak\w*)\b", False),
    ("poisoning", r"\b(drank|drink|swallowed|ate|chewed|bit into|bite|licked|got into|sipped|gulped|in (his|her) mouth)\b.{0,40}\b(bleach|antifreeze|poison\w*|pods?|detergent|windex|drain cleaner|lamp oil|lighter fluid|gasoline|kerosene|vape|e ?liquid|e ?juice|nicotine|pesticide|weed ?killer|rat poison|mushrooms?|cleaner|chemicals?|batter(y|ies)|magnets?|iron pills|cough syrup|mouthwash|nail polish remover|paint thinner|oil|wipes)\b", False),
    ("poisoning", r"\bbatter(y|ies)\b.{0,30}\b(in (his|her|their) mouth|swallow\w*|missing|cant find)\b|\b(button|coin|disc) (cell )?batter(y|ies)\b|\bmagnet balls?\b|\b(?<!food )poison(ed|ing)\b|\bpoison control\b|\bbottle\b.{0,80}\b(half )?empty\b|\b(antifreeze|bleach)\b|\b(pesticide|insecticide|weed ?killer|drain cleaner|bug spray|washer fluid|paint thinner|rat poison|lighter fluid)\b", False),
    ("poisoning", r"\binjected\b.{0,40}\b(insulin|who knows|too much|all)\b|\bgot into (his|her|my|their) (insulin|pens|meds|pills|methadone)\b|\b(drank|swallowed|ate)\b.{0,30}\b(methadone|anti ?freeze|lighter fluid)\b|\bcarbon monoxide\b.{0,60}\b(alarm|detector|going off|headache\w*|dizzy|sick|confus\w*|unconscious|now)\b|\bco (alarm|detector)\b", False),
    ("poisoning", r"\b(alcohol|beers?|wine|vodka|liquor|drinks?|drinking)\b.{0,40}\b(percocet|vicodin|oxy\w*|xanax|valium|klonopin|clonazepam|ambien|benzo\w*|opioid\w*|methadone|fentanyl|lean)\b|\b(percocet|vicodin|oxy\w*|xanax|valium|klonopin|clonazepam|ambien|methadone|fentanyl)\b.{0,40}\b(alcohol|beers?|wine|vodka|liquor|drinks?|drinking)\b", False),
    ("depressant", r"\b(alcohol|whiskey|vodka|beers?|wine|drinks|drunk)\b.{0,60}\b(pills?|oxy\w*|xanax|benzo\w*|opioids?|sleeping|valium|fentanyl|heroin)\b.{0,80}\b(cant wake|wont wake|breathing|drowsy|unresponsive|cant stay awake|passed out|blue)\b|\b(molly|mdma|ecstasy|meth|cocaine|fentanyl|heroin)\b.{0,60}\b(hot|confus\w*|spasm\w*|seiz\w*|chest|cant wake|not breathing|unresponsive)\b", True),
    ("child_poisoning", r"\b(toddler|baby|babys|infant|kid|child|son|daughter|\d+ ?(yo|y/o|yr|year|years|month|months)( old)?|year old|month old|grandson|granddaughter)\b.{0,60}\b(ate|swallowed|took|drank|got into|chewed|found)\b.{0,60}\b(pills?|tablets?|vitamins?|gummy|gummies|medicine|meds|capsules?|tylenol|patch)\b", False),
    ("child_poisoning", r"\b(ate|swallowed|took|drank|got into|chewed)\b.{0,60}\b(pills?|tablets?|vitamins?|gummy|gummies|medicine|meds|capsules?)\b.{0,40}\b(toddler|baby|kid|child|\d+ ?(yo|kg|months?)|year old|month old)\b", False),
    ("child_poisoning", r"\bgot into\b.{0,40}\b(pills?|meds|bottle|medicine|cabinet|purse|bag|methadone|edibles?|gummies|vitamins?|cleaner|chemicals?|tablets?|pods?)\b|\bfound (my|the|our) (kid|son|daughter|toddler|baby|child|\d+ ?(yo|yr|year|month)\w*)\b.{0,60}\b(with|eating|chewing|drinking|holding)\b", False),
    ("child_poisoning", r"\b(zyn|nicotine|pouch|juul|vape|methadone|edibles?)\b.{0,40}\b(chew\w*|ate|drank|swallow\w*|sleepy|vomit\w*)\b|\b(chew\w*|ate|drank|swallow\w*|bit)\b.{0,40}\b(zyn|nicotine|pouch|juul|vape|edibles?|fluid|spray|soap|pods?|dishwasher|detergent)\b", False),
    ("unconscious", r"\b(unconscious|unresponsive|passed out|fainted|collaps\w*|wont wake|will not wake|cant wake|not waking|isnt waking|not responding|isnt responding|wont respond|barely responsive|out cold|knocked out|(went|gone|is) limp)\b", False),
    ("seizure", r"\b(seiz\w*|siez\w*|convuls\w*|combuls\w*|fitting)\b.{0,50}\b(right now|wont stop|not stopping|keeps going|in a row|without waking|over \d+ min\w*|for \d+ min\w*|\d+ min\w* (now|and)|in the (last )?(hour|bath|bathtub|pool|water)|rescue med\w*|diastat|first time|never happened)\b", False),
    ("seizure", r"\b(just|is|hes|shes|keeps?|started)\b.{0,20}\b(had a |having )?(seiz\w*|siez\w*|convuls\w*|combuls\w*)\b|\bhaving a fit\b|\bfirst (ever )?(seizure|siezure)\b.{0,60}\b(now|confus\w*|cant|wont|still|ever)\b|\bhaving a seizure\b|\bseizures? in (an|a|one|the last) (hour|row)\b", False),
    ("seizure", r"\b(jerk\w*|twitch\w*)\b.{0,30}\b(all over|eyes|rolled|stiff|arms|legs|whole body|one side|first time|wont stop|staring)\b|\beyes rolled\b|\bhad a fit\b", False),
    ("pregnancy", r"\b(pregnan\w*|pregant|\d+ ?(wks|weeks|months)( pregnant| along)?|weeks along|trimester|gave birth|postpartum|c ?section|delivered|contractions?)\b.{0,80}\b(bleed\w*|blood|clots?|soaking|contractions every|gush\w*|leaking|fluid|head is out|coming now|crash\w*|blurry|vision|flashing|bp \d+|seiz\w*|severe|sharp|unbearable|belly is hard|not moving|hasnt moved|stopped moving|cord|water broke|regular painful|every \d+ min\w*)\b", False),
    ("pregnancy", r"\b(water broke|cord)\b.{0,40}\b(\d+ weeks|blood|bleed\w*|coming out)\b|\bbaby is coming\b|\bhead is out\b", False),
    ("heat_cold", r"\b(stopped|not|no longer|isnt) (sweating|shivering)\b|\bheat ?stroke\b|\b(skin|body)\b.{0,20}\b(burning hot|hot and dry|red and hot)\b|\b(hot|heat)\b.{0,40}\b(confus\w*|not making sense|passed out|collapsed)\b|\b(temp\w*|temperature)\b.{0,10}\b(3[0-4](\.\d)?)\b", False),
    ("heat_cold", r"\b(hypotherm\w*|frostbite)\b.{0,60}\b(confus\w*|unresponsive|mumbl\w*|stopped shivering|wont wake|not breathing)\b", False),
    ("injury", r"\b(fell|fall\w*)\b.{0,20}\b(from|off|out of)\b.{0,20}\b(window|roof|ladder|balcony|(2nd|second|third|3rd) (story|floor)|tree|stairs)\b|\bskull\b.{0,20}\b(dent\w*|soft|sunken|cracked)\b|\belectrocut\w*\b|\bbone (is )?(sticking|poking) out\b|\bhit by a (car|truck|bus)\b|\bcar (crash|accident)\b|\bcant feel (his|her|my|their) (legs|arms|feet|hands)\b", False),
    ("injury", r"\b(firework|fish ?hook|chemical|acid|lye|bleach|drain cleaner)\b.{0,30}\beyes?\b|\beyes?\b.{0,30}\b(firework|hook|chemical|acid)\b|\b(neck|back|spine)\b.{0,30}\b(hurts?|pain)\b.{0,40}\b(tingl\w*|numb\w*|cant move)\b", False),
    ("injury", r"\b(finger|toe|hand|arm|leg|fingertip)s?\b.{0,30}\b(crushed|came off|cut off|severed)\b|\b(crushed|cut off|severed)\b.{0,20}\b(finger|toe|hand|fingertip)s?\b|\b(scuba|dive|diving)\b.{0,40}\b(numb\w*|confus\w*)\b|\b(rattle)?snake\w*\b.{0,20}\bbit\w*\b|\bbit\w* by a (\w+ )?(rattle)?snake\b", False),
    ("burn", r"\b(burn\w*|boiling|scald\w*|fire)\b.{0,40}\b(badly|severe\w*|white|black|charred|leathery|huge|big blisters?|blisters all over)\b|\b(burn\w*|chemical|acid|cleaner|fire|scald\w*)\b.{0,40}\bskin\b.{0,20}\b(white|charred|leathery|peeling)\b", False),
    ("other", r"\b(worst|thunderclap) headache\b|\bstiff neck\b.{0,40}\b(fever|rash)\b|\b(fever|rash)\b.{0,40}\bstiff neck\b|\b(temp\w*|fever)\b.{0,15}\b(10[4-9]|4[1-3])\b", False),
    ("other", r"\b(testic\w*|groin|scrotum)\b.{0,40}\b(sudden\w*|severe|awful|twist\w*|swollen|purple|throwing up|vomit\w*)\b|\b(diabet\w*|sugar)\b.{0,60}\bconfus\w*|\b(soot|smoke inhal\w*)\b|\bfire\b.{0,60}\bhoarse\b|\b(blood sugar|sugar|glucose)\b.{0,40}\b(unconscious|unresponsive|wont wake|not waking|passed out|confus\w*)\b", False),
    ("other", r"\b\d+ (day|days|week|weeks) old\b.{0,40}\b(fever|temp\w*|floppy|not feeding|wont feed|blue)\b|\b(sugar|glucose|bg)( level)? (is |was |at |of |reading |dropped to |down to |went to )([1-4]\d)\b|\bfruity breath\b|\berection\b.{0,30}\bhours?\b", False),
    ("other", r"\b(lower right|right side)\b.{0,40}\b(belly|abdomen|stomach|pain)\b.{0,60}\b(fever|vomit\w*|worse)\b|\b(belly|abdomen|stomach)\b.{0,20}\bpain\b.{0,20}\b(lower right|right side)\b.{0,60}\b(fever|vomit\w*)\b|\b(fever|temp\w*)\b.{0,30}\b(confus\w*|heart racing|stiff neck|purple spots|rash that)\b|\bno wet diapers\b|\bsunken soft spot\b|\bvomiting green\b", False),
    ("other", r"\bcant (poop|pass gas)\b.{0,30}\bvomit\w*|\b(leg|hip)\b.{0,30}\b(turned out|looks shorter)\b|\baltitude\b.{0,40}\b(confus\w*|stumbl\w*|froth\w*|cant breath\w*)\b|\bsickle cell\b.{0,40}\bfever\b", False),
]

# Spanish emergencies (applied unless the message is a general question).
EMERGENCY_ES = [
    ("cardiac", r"\bdolor\b.{0,20}\bpecho\b|\bpecho\b.{0,20}\b(apretado|presion|opresion)\b|\b(presion|peso|opresion)\b.{0,20}\bpecho\b|\b(duele|dolor)\b.{0,30}\b(pecho|mandibula)\b|\bbrazo izquierdo\b|\binfarto\b"),
    ("stroke", r"\b(cara|boca)\b.{0,20}\b(caida|torcida|chueca|dormida)\b|\bno (puede|puedo) (hablar|mover)\b|\b(habla|hablo|hablar)\b.{0,20}\b(raro|rara|enredad\w*|arrastra\w*)\b|\barrastra las palabras\b|\bno le salen las palabras\b|\bse (le )?cae (un lado|la cara|la boca)\b|\bse le (durmio|durmieron|adormeci\w*)\b|\bderrame\b|\bembolia\b"),
    ("breathing", r"\bno (puede|puedo|podia|pueden) respirar\b|\bno respira\b|\b(le|me) cuesta respirar\b|\bse (ahoga|esta ahogando|atraganto)\b|\blabios\b.{0,15}\b(morados|azules)\b|\bahogand\w*|\bsin poder respirar\b|\bsilba el pecho\b|\bse (esta )?poniendo (morado|morada|azul)\b"),
    ("unconscious", r"\b(desmay\w*|inconsciente|no reacciona|no responde|no despierta|sin pulso|no tiene pulso)\b"),
    ("seizure", r"\b(convuls\w*|combuls\w*)|\bataque epileptico\b"),
    ("bleeding", r"\bsangr\w*\b.{0,30}\b(mucho|no para|sin parar|abundante\w*|muchisimo)\b|\b(no para de|no deja de)\b.{0,10}\bsangrar\b|\bvomitando\b.{0,20}\bsangre\b|\b(apunal\w*|balazo|disparo)\b"),
    ("poisoning", r"\b(se trago|trago|se tomo|tomo|tome|bebio|se bebio|comio|mordio)\b.{0,40}\b(pila|bateria|iman\w*|pastillas|cloro|lejia|veneno|frasco|blanqueador|detergente|jarabe|capsulas?|pildoras|todas|liquido del vapeador)\b|\b(me|se|le) (tome|tomo)\b.{0,20}\b\d+\b|\bsobredosis\b|\benvenen\w*|\bintoxica\w*|\bpor error\b|\b(pastillas|clonazepam|alprazolam)\b.{0,30}\bcon (cerveza|alcohol|vino)\b|\b(cloro|lejia)\b.{0,20}\bamoniaco\b|\bpila de boton\b"),
    ("head", r"\b(golpe\w*|se cayo|cayo|me cai|pego|pegue)\b.{0,40}\bcabeza\b.{0,60}\b(vomit\w*|confundid\w*|dormid\w*|desmay\w*|sangr\w*|cada vez mas)\b|\bno para de vomitar\b"),
    ("pregnancy", r"\bembaraz\w*\b.{0,80}\b(sangr\w*|convuls\w*|dolor\w*|cabeza|hinchad\w*|lucecitas|no se mueve)\b|\b(meses|semanas) de embarazo\b.{0,80}\b(sangr\w*|convuls\w*|hinchad\w*)\b|\b(rompio la fuente|romper aguas|cordon)\b"),
    ("anaphylaxis", r"\b(garganta|lengua|labios|cara)\b.{0,20}\b(hinch\w*|cerrando|cierra)\b|\bhincha\w*\b.{0,20}\blabios\b|\bcierra la garganta\b|\b(alergi\w*|picadura|pico)\b.{0,40}\b(hinch\w*|respirar|mare\w*)\b"),
    ("other", r"\bquemadura\w*\b.{0,20}\b(grave\w*|grande\w*|fuerte\w*)\b|\bampollas\b|\bazucar\b.{0,40}\b(inconsciente|no reacciona|muy baja)\b|\bpeor dolor de cabeza\b|\bcuello rigido\b|\btesticulo\b|\bya no suda\b|\bno siente las piernas\b"),
]

# Words without which no symptom is an emergency by the usual triage guides: a learned
# "emergency" the classifier is not sure of needs one of these, or an emergency rule above, in
# the message ("stuffy nose and pressure in my cheeks for 2 weeks" has none; "my belly is hard
# as a board" has one). Generous on purpose: each is a reason to look, not a verdict.
RED_FLAGS = [
    ("chest", r"\bchest\b.{0,40}\b(pain\w*|pres+ure|tight\w*|heav\w*|hurt\w*|crush\w*|squeez\w*|elephant|discomfort|sweat\w*)\b"),
    ("breathing", r"\b(breath\w*|breathing|breathe|wheez\w*|chok\w*|gasp\w*|suffocat\w*|airway)\b|\b(lips?|face|skin|fingers?)\b.{0,25}\b(blue|purple|grey|gray|bluish)\b"),
    ("consciousness", r"\b(unconscious|unresponsive|passed out|pass(es|ing)? out|faint\w*|collaps\w*|black(ed)? out|wont wake|cant wake|not waking|hard to wake|wont respond|not responding)\b"),
    ("seizure", r"\b(seizure\w*|seizing|convuls\w*|fitting)\b"),
    ("stroke", r"\b(droop\w*|slurr\w*|garbled|one side of (his|her|my|their) (face|body))\b|\b(sudden\w*|all of a sudden)\b.{0,40}\b(weak\w*|numb\w*|confus\w*|speech|speak|talk|see|sight|vision|walk|balance)\b"),
    ("sight", r"\b(vision|sight|eye)\b.{0,40}\b(lost|loss|gone|went black|dark shadow|shadow|curtain)\b|\b(cant|cannot) see\b|\bcurtain\b"),
    ("bleeding", r"\bblood\b.{0,30}\b(pump\w*|spurt\w*|pour\w*|gush\w*|everywhere|wont stop|through)\b|\b(bled|bleed\w*)\b.{0,30}\b(through|wont stop|heav\w*|a lot|lots|soak\w*)\b|\b(vomit\w*|throw\w* up|cough\w* up|spit\w* up|spitting)\b.{0,15}\b(blood|green|bile|coffee)\b|\b(baby|infant|newborn)\b.{0,40}\bblood\b|\bblack (tarry|tar)\b|\btarry\b|\bmucha sangre\b"),
    ("belly", r"\b(rigid|hard as a (board|rock)|rock hard|board like)\b"),
    ("headache", r"\b(worst|thunderclap|explod\w*)\b.{0,30}\b(headache|head|pain)\b|\b(headache|head)\b.{0,30}\b(worst|thunderclap)\b|\bstiff neck\b.{0,60}\bfever\b|\bfever\b.{0,60}\bstiff neck\b"),
    ("limb", r"\b(cold|pale|blue|white)\b.{0,20}\b(leg|arm|foot|hand)\b.{0,40}\b(cant feel|numb|no pulse)\b|\b(leg|arm|foot|hand)\b.{0,20}\b(cold and pale|pale and cold)\b|\bcant feel (my|his|her) (foot|leg|hand|arm)\b"),
    ("allergy", r"\b(tongue|lips?|throat|face|mouth)\b.{0,25}\b(swell\w*|swollen|clos\w*|tight\w*|puff\w*)\b|\banaphyla\w*|\bepi ?pen\b"),
    ("poisoning", r"\b(took|taken|swallowed|ate|drank|downed|popped)\b.{0,40}\b(pills?|tablets?|capsules?|bottle|bunch|handful|meds|medicine|overdose|poison\w*|bleach|battery|batteries|magnets?|chemicals?|cleaner)\b|\boverdos\w*|\bpoison\w*"),
    ("baby", r"\b(soft spot|fontanel+e?)\b|\b(newborn|\d+ (day|days|week|weeks) old|[0-2] (month|months|mo) old|(one|two) months? old)\b.{0,60}\b(fever|temp\w*|hot|\d\d[.,]\d|floppy|wont feed|not feeding|blue|limp)\b"),
    ("injury", r"\b(hit|bang\w*|bump\w*|fell|fall|knock\w*)\b.{0,40}\bhead\b|\b(stab\w*|shot|gunshot|deep cut|severed|amputat\w*|burn\w* (badly|severe\w*))\b"),
    ("pain", r"\b(agoni\w*|excruciat\w*|unbearable|worst pain|screaming in pain|scream if)\b|\b(testic\w*|testicle|scrotum)\b.{0,40}\b(sudden\w*|severe|pain\w*|swollen)\b"),
    ("pregnancy", r"\bpregnan\w*|\b\d+ weeks\b.{0,40}\b(bleed\w*|pain|cramp\w*|headache|swell\w*)\b|\bgiving birth\b|\bafter birth\b|\bpostpartum\b"),
    ("self_harm", r"\b(suicid\w*|kill (my|him|her)self|wanted to die|want to die|on purpose|knife|knives|gun|rope|razor|cuchillo|navaja|pistola|soga)\b"),
    ("confusion", r"\b(confus\w*|not making sense|disorient\w*|delirious)\b"),
    ("sepsis", r"\b(mottled|blotchy)\b|\b(havent|hasnt|not|no) (peed|urinated|wee+d)\b|\bno (urine|pee)\b"),
    ("spanish", r"\b(pecho|respira\w*|desmay\w*|inconsciente|convuls\w*|sangr\w*|hinch\w*|pastillas|veneno|embaraz\w*|bebe|recien nacido|fiebre)\b"),
]

SELF_HARM = [
    r"\b(kill|killing|kil)\b.{0,3}\b(myself|my self|myslef|meself|himself|herself|themselves)\b|\b(going|gonna|wants?|want|plan\w*|trying|tried) to (kill|hurt|end) (my|him|her|them)\w*|\b(kms|kys)\b",
    r"\b(want|wanna|wish|wanted|wants)\b.{0,5}\b(to )?(die|be dead|disappear forever|not wake up|go to sleep forever)\b|\bsuicid\w*|\bself ?harm\w*",
    r"\b(cut|cutting|burn|burning|hurt|hurting|scratch\w*|hit|hitting)\b.{0,3}\b(myself|herself|himself)\b|\b(cut|cuts|cutting|scratch\w*|burn\w*|hit\w*|hurt\w*|bleed)\b.{0,40}\bon purpose\b|\bdoes (it|this) to (herself|himself|myself|themselves)\b",
    r"\bcuts\b.{0,20}\b(her|his|my|their) (arms?|thighs?|wrists?|legs?|stomach)\b|\bwrists?\b.{0,20}\bcut\w*\b|\bcut\w*\b.{0,20}\bwrists?\b|\bfeel like cutting\b|\bburn\w*\b.{0,10}\b(my|his|her) (arms?|legs?|skin|wrists?)\b",
    r"\b(better off|happier|fine|okay|ok) without (me|him|her)\b|\bbetter (off )?without (me|him|her)\b|\b(burden|waste of space)\b|\bwont be a (problem|burden)\b",
    r"\bno (point|reason|use)\b.{0,20}\b(living|to live|going on|in living|anymore|being alive)\b|\bno reason (for me )?to (stay|live|be here)\b|\bnothing (left )?to live for\b",
    r"\b(dont|do not|dont really) (want|wanna) to (live|be alive|be here|wake up|keep going|go on|exist)\b|\b(dont|do not) wanna (be alive|live|be here)\b|\blife is (pointless|not worth|meaningless)\b|\bnot worth living\b",
    r"\b(this is )?goodbye\b.{0,60}\b(everyone|everything|forever|not answering|note|posted|texted|message)\b|\b(says?|said|texted|sent)\b.{0,10}\bgoodbye\b|\bleft a note\b|\blast (message|time youll hear)\b|\bwont see tomorrow\b",
    r"\bgiv\w* away (his|her|my|their) (things|stuff|tools|possessions|belongings)\b|\bwont be around\b|\bwhere im going\b|\bmade a will\b|\bive decided\b|\btonight is the night\b",
    r"\b(gun|rope|pills|bridge|knife)\b.{0,40}\b(on myself|using it|to end|end it)\b|\bhave a plan\b|\brope\b|\bshoot (myself|himself|herself)\b|\bhang\w* (myself|himself|herself)\b|\bhanging take\b",
    r"\bjump\w*\b.{0,30}\b(bridge|train|roof|building|ledge|cliff|in front)\b|\b(bridge|ledge|roof|train tracks)\b.{0,40}\b(right now|tonight|standing|sitting|staring|easy)\b|\b(on|at) the (ledge|edge)\b|\bdrive\w*\b.{0,30}\b(off (the|a) (cliff|bridge|road)|into a (wall|tree|truck))\b|\bwish a (car|truck|bus|train)\b",
    r"\b(end|ending) (it|it all|my life|things|his life|her life)\b|\bend (ur|your) life\b|\b(sleep and )?never wake up\b|\b(hope|wish) i (dont|never) wake up\b|\bto not wake up\b|\bso i dont wake up\b",
    r"\bcant do this anymore\b|\btired of (existing|being alive|living)\b|\b(if i (was|were) gone|after im gone|if i died)\b|\bnever (been )?born\b|\b(pain|it) to stop (permanently|forever)\b|\bnot (to )?exist\b|\bim done\b.{0,20}\bsorry\b|\bnever have to feel\b",
    r"\binject all\b|\ball my (insulin|pills|meds)\b.{0,20}\b(at once|tonight)\b",
    r"\b(take|taking|end|ending) (my|his|her|their) (own )?life\b|\b(dont|do not|cant|cannot) see (myself|a future|any future|the point|a way out)\b|\bno (way out|future|hope left)\b",
    r"\b(wont|will not) be (here|around)\b|\bbe(ing)? here (much|for) (longer|long)\b|\bdisappear\w*\b.{0,20}\b(forever|for good|never come back)\b|\b(vanish|disappear) and never\b",
    r"\b(made|make|making) (my|the) (decision|choice)\b|\bmy mind is made up\b|\b(goodbye|farewell) (letters?|notes?|messages?)\b|\bsaid (my )?goodbyes\b|\bwr(o|i)te\b.{0,30}\b(goodbye|letters? to (my|the) (family|kids|wife|husband))\b",
    r"\b(wish|wishes|wished) (i|he|she|they) (was|were|could be|had never been|was never|were never) (dead|gone|born)\b|\bwish(es)? to (be dead|die)\b|\b(tired|sick) of (be+ing|living|life)\b|\b(didnt|dont|do not|never) wake up\b",
    r"\b(crash\w*|drive|drove|steer\w*)\b.{0,40}\bon purpose\b|\bthinking (about|of) (ending|taking|killing|hurting|suicide|dying|not being here)\b|\b(want|need) (it|everything) to (end|stop) (forever|for good|permanently)\b",
    r"\btoo much to (keep )?(living|go on|keep going)\b|\b(scared|afraid) of (myself|what i might do)\b|\bwouldnt mind if i (died|didnt wake|was gone)\b|\b(no one|nobody) would (care|notice|miss me)\b",
    r"\bstockpil\w*|\b(pills|rope|gun|knife)\b.{0,30}\b(ready|saved|hidden|bought)\b",
]
# Questions about ways and amounts that kill: answered with crisis lines, whoever asks.
LETHAL_MEANS = [
    r"\b(painless|easiest|quickest|fastest|best) way to (die|end it|kill)\w*|\bbleed out\b|\b(how (many|much)|what amount|what dose|which)\b.{0,50}\b(kill|die|deadly|lethal|fatal)\b|\b(lethal|fatal|deadly)\b.{0,20}\b(dose|amount|overdose|in large amounts|gas)\b",
    r"\boverdose that kills\b|\b(die|dying|dead|kill)\b.{0,30}\b(for sure|painless\w*|without pain|fast)\b|\bpainless\w*\b.{0,20}\b(overdose|way|death|die)\b|\bmost painless\b|\bhow to kill (yourself|myself|urself)\b|\bod without\b",
    r"\b(can i|will|would|could)\b.{0,40}\b(die|kill me|be fatal)\b.{0,40}\b(taking|all my|\d+|pills?|tylenol|insulin|lithium)\b|\b(will|would|can) \d+ \w+ kill\b|\bhow (deep|high|long)\b.{0,40}\b(to die|die for sure|kill)\b|\bexhaust\b.{0,40}\b(garage|kill)\b",
    r"\bhanging take\b|\bend (ur|your|my) life\b.{0,20}\b(peaceful\w*|quick\w*|painless\w*)|\b(quickest|fastest|easiest|best|peaceful\w*) way to end\b|\bcould end my life\b|\b(how (many|much)|would it take)\b.{0,60}\b(dont|not|never) wake up\b",
    r"\bcan (you|i|a person|someone|people) die from (taking|an overdose|too much|a whole|all)\b|\b(would|does) it take to (die|kill|stop (my|his|her|a|the) heart)\b|\b(closed|shut) garage\b|\bcar exhaust\b",
]
SELF_HARM_ES = [
    r"\bsu[isc]+id\w*|\bmatar(me|se)\b|\b(me|se) (quiero|quiere|voy a|va a) matar\b|\bse mata\b|\bquitarme la vida\b|\b(me )?quiero morir\w*|\bkiero morir\b|\bquiere morir\w*",
    r"\bno quiero (vivir|seguir)\b|\btirarme\b|\bcortarme\b|\bme estoy cortando\b|\bse corta\b|\bhacerme dano\b|\bme quemo\b|\bno despertar\b|\bpara morir\b|\bde morir\b",
    r"\bacabar con (mi vida|todo)\b|\bmejor (muerto|muerta)\b|\bmejor sin (mi|el|ella)\b|\b(no vale la pena|sin sentido) (vivir|seguir)\b|\bdesaparecer para siempre\b|\bsoy una carga\b",
    r"\b(dosis|cantidad)\b.{0,20}\b(letal|mortal)\w*|\b(letal|mortal)\w*\b|\bdespedi\w*\b|\bregale mis cosas\b|\bsoga\b|\bdesangrar\w*|\bsi me muero\b|\bcansad[oa] de vivir\b",
    r"\bde este mundo\b|\brazon\w* para vivir\b|\ben la muerte\b|\bno aguanto mas\b|\bno tiene caso seguir\b",
]
# General questions about suicide ("suicide rates", "warning signs someone is suicidal").
SELF_HARM_TOPIC = r"\b(rates?|statistics|risk|warning signs|signs that|why do|prevent\w*|help (a|someone)|talk to|years ago|last year|support|awareness|research|myths?|mean|means|term|definition|guidelines|reporting|media|lost (his|her|their|my|a) \w+ to suicide|senales|alerta|prevenir|estadisticas)\b"
# A general question about people ("how does therapy help people who have suicidal thoughts").
OTHERS_IN_GENERAL = r"\b(people|someone|somebody|teens?|teenagers|kids|children|a loved one|patients|men|women|a person|young)\b"
# ...unless the message also says someone means it now.
SELF_HARM_INTENT = r"\b(i|im|ive)\b (am |have been |keep |been |really )?(thinking|planning|going|want|wanna|feel like|have a plan)\b|\b(wants? to|going to|gonna|plans? to|planning to|threaten\w*|texted|told me|said (he|she|they))\b"

MEDICINE = (
    r"\b(tylenol|acetaminophen|paracetamol|ibuprofen\w*|ibuprofin|advil|motrin|aspirin\w*|benadr?y?i?l\w*|naproxen\w*|aleve|diphenhydramine|zyrtec|claritin|allegra|"
    r"amoxicillin|amoxicilina|amox\w*|antibiotic\w*|metformin|insulin\w*|prednisone|sertraline|zoloft|prozac|fluoxetine|xanax|alprazolam|melaton\w*|tramadol|oxycodone|"
    r"codeine|gabapentin|lisinopril|amlodipine|warfarin|levothyroxine|omeprazole|nyquil|dayquil|mucinex|robitussin|imodium|pepto|cough syrup|jarabe|vitamin \w+|iron|"
    r"excedrin|adderall|tums|ambien|lidocaine|metoprolol|albuterol|ventolin|inhaler|puffer|flovent|symbicort|advair|zyrte\w*|claritin\w*|\w*triptan|gravol|magnesium|viagra|cialis|zofran|lexapro|diclofenac\w*|loratadin\w*|anticonceptivo|buscapina|"
    r"birth control|the pill|pills?|tablets?|tabs?|capsules?|meds|medicine|medication|pastillas?|medicamentos?|gotas|drops|doses?|dosis|dosage|mg|ml|"
    r"\w+(cillin|mycin|pril|olol|sartan|statin|prazole|tidine|pam|lam|codone|zepam|xetine|profen|fenac|dronate|gliptin|flozin|afil))\b"
)
DOSE_ASK = (
    r"\b(how (much|many|often)|hw mch|what (dose|dosage|amount|strength)|max(imum)?|the most|double|"
    r"(take|give|have|tomar|tomo)\b.{0,15}\b(twice|two|2|another|an extra|extra|more|double|it again)|(twice|two times|2 times) a day|"
    r"can i (take|give|have|split|cut)|should i (take|give)|can (my|he|she|they) (\w+ ){0,3}take|(ok|safe|okay) to (take|give)|is \d+ \w+ (ok|safe)|"
    r"(right |correct |usual )?(dose|dosage|dosis) (of|for)|(drink|alcohol|beers?|wine)\b.{0,30}\bwith (my|his|her) (antibiotics?|meds|medicine|pills)|"
    r"how long (between|should|do i wait)|between doses|bump|increase|instead of|every \d+ (hours?|hrs?)|"
    r"cuant[oa]s?|que dosis|puedo (tomar|dar|darle)|puede tomar|le doy|me tomo|tomo dos|dos veces|cada cuantas)\b"
)
# "how much zyrtek for a 3 year old": a dose asked of a medicine the list above does not know.
AMOUNT_OF_SOMETHING = r"\bhow (much|many) \w+ (for|can|should)\b"
# Amounts of these are not medicine doses ("how much water should my toddler drink").
NOT_MEDICINE = r"\bhow (much|many) (water|sleep|exercise|food|milk|protein|calories|fiber|sugar|salt|screen time|time|hours|steps|coffee|caffeine|alcohol|weight)\b"
FOR_SOMEONE = (
    r"\b(i|im|me|my|we|our|he|she|him|her|his|them|son|daughter|baby|child|kid|toddler|husband|wife|mom|dad|grandma|grandpa|"
    r"\d+ ?(yo|y/o|year|years|yr|month|months|kg|kilos?|lbs?|pounds)|year old|month old|weighs|\d+ ?mg|"
    r"mi|hijo|hija|bebe|nino|nina|esposo|esposa|mama|papa|puedo|puede|le doy|darle|tomo)\b"
)
# fmt: on
